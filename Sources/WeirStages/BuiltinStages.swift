import WeirCore

/// Every stage type this build of Weir knows.
public enum BuiltinStages {
    public static let all: [any StageType] = [
        ExtractCSV(), ExtractLogs(), LogTransactions(), Overdraft(), LogGaps(), SQLStage(), SelectColumns(), TopRows(), LoadCSV(), LoadArrow(), LoadSQLite(),
        Apriori(), RFM(), Pivot(), PCAKMeans(), Affinity(), Cohort(),
        CostSpikes(), CostTrend(), CostTotals(), Quality(), Slack(),
    ]

    public static var registry: StageRegistry { StageRegistry(all) }
}
