"""AWS Lambda logs of a subscription-balance function (seed 002), with known truth.

Subscribers in Bahrain, Saudi Arabia, the Emirates, Kuwait and Qatar (BHD, SAR, AED, KWD, QAR)
pay for meal plans; every delivery deducts a meal from their balance, manual additions credit
it, and renewals top it up. Each balance change is an SQS message that the function logs as
`Processing message <id>` and a `Start syncing the balance { transaction: { ... } }` dump in
Node's console.log format. The function polls every --tick seconds (10 messages a batch, more
invocations at once when the queue backs up) and runs a reconciliation check when the queue is
empty, so the log never goes quiet unless something breaks.

Planted, and written to truth.json:
- overdrafts: some subscribers stop renewing and run below zero; for most of them the balances
  fall out of sync (an ERROR or WARN out-of-sync line in their messages) days before;
- out-of-sync subscribers who never overdraw;
- logging gaps: outages during which nothing is logged;
- an Eid al-Fitr spike in order volume (2024-04-08 .. 2024-04-12);
- malformed dumps, invocations cut off at the end of a file (some mid-dump) and by a timeout,
  multi-message invocations, concurrent invocations whose lines interleave in one file.

One file per day, `balance-sync-YYYY-MM-DD.log.gz` (or .log with --plain). Deterministic by --seed.

    python scripts/gen/balance_logs.py --scale 0.02 --out data/balance-logs
    python scripts/gen/balance_logs.py --scale 1.6 --plain --out /tmp/logs-1g   # about 1 GB
"""
import argparse, datetime as dt, gzip, json, os, random, uuid

CURRENCIES = [("BHD", 0.45, 8.0), ("SAR", 0.25, 80.0), ("AED", 0.15, 80.0), ("KWD", 0.08, 6.5), ("QAR", 0.05, 80.0)]
START = dt.datetime(2023, 12, 1, tzinfo=dt.timezone.utc)
DAYS = 152
EID = (dt.date(2024, 4, 8), dt.date(2024, 4, 12))
ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def iso(t):
    """Milliseconds since the epoch -> 2024-02-13T21:01:05.050Z."""
    return dt.datetime.fromtimestamp(t / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t % 1000)


def js_number(x):
    x = round(x, 3)
    return str(int(x)) if x == int(x) else repr(x)


def js_string(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Gen:
    def __init__(self, seed, scale, tick):
        self.rng = random.Random(seed)
        self.scale = scale
        self.tick = tick

    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def ulid(self, t):
        n = (t << 80) | self.rng.getrandbits(80)
        return "".join(ULID_ALPHABET[(n >> (5 * i)) & 31] for i in range(25, -1, -1))

    # -- subscribers and their balance events ---------------------------------------------

    def users(self):
        n = max(20, int(round(5000 * self.scale)))
        users = []
        for _ in range(n):
            r, acc = self.rng.random(), 0.0
            currency, price = CURRENCIES[-1][0], CURRENCIES[-1][2]
            for code, share, base in CURRENCIES:
                acc += share
                if r < acc:
                    currency, price = code, base
                    break
            kind = self.rng.random()
            users.append({
                "id": self.uuid(), "currency": currency,
                "price": round(price * self.rng.choice([0.75, 0.875, 1.0, 1.25]), 2),
                "meals": self.rng.choice([20, 24, 26]),
                "start": self.rng.randrange(0, 60),
                # 12% stop renewing and overdraw; 3% fall out of sync but keep paying.
                "role": "overdraft" if kind < 0.12 else ("desync" if kind < 0.15 else "normal"),
            })
        return users

    def events(self, user):
        """The user's balance changes as dicts with a time (ms) and the transaction fields."""
        rng = self.rng
        price, out = user["price"], []
        balance = payment = 0.0
        stop_renewing = user["start"] + rng.randrange(25, 70) if user["role"] == "overdraft" else None
        # How overdrafters are warned: most fall out of sync 2..8 deliveries before the first
        # negative balance; some only at it; a few never.
        warning = rng.choices(["early", "at", "never"], [0.86, 0.09, 0.05])[0] if user["role"] == "overdraft" else None
        desync_day = user["start"] + rng.randrange(20, 120) if user["role"] == "desync" else None
        negative_deliveries = rng.randrange(2, 6)
        day0 = START.timestamp() * 1000

        def tx(t, kind, source, action, amount, update_payment=True, metadata=None):
            nonlocal balance, payment
            old = balance
            balance = round(balance + (amount if kind == "CREDIT" else -amount), 3)
            if update_payment:
                payment = round(payment + (amount if kind == "CREDIT" else -amount), 3)
            out.append({"t": t, "type": kind, "source": source, "action": action, "amount": amount,
                        "old": old, "new": balance, "payment": payment if update_payment else None,
                        "update": update_payment, "metadata": metadata})

        t0 = int(day0 + user["start"] * 86_400_000 + rng.randrange(0, 86_400_000))
        tx(t0, "CREDIT", "PAYMENT", "RENEW_SUBSCRIPTION", round(price * user["meals"], 2),
           metadata='{"paymentId":"%s","method":"card"}' % self.uuid())
        went_negative = 0
        for day in range(user["start"] + 1, DAYS):
            if went_negative >= negative_deliveries:
                break                                    # the subscription is paused
            date = (START + dt.timedelta(days=day)).date()
            midnight = int(day0 + day * 86_400_000)
            # Renewals go through in the small hours, before the day's deliveries.
            renews = stop_renewing is None or day < stop_renewing
            if renews and min(balance, payment) < 3 * price:
                tx(midnight + rng.randrange(0, 5 * 3_600_000), "CREDIT", "PAYMENT", "RENEW_SUBSCRIPTION", round(price * user["meals"], 2),
                   metadata='{"paymentId":"%s","method":"%s"}' % (self.uuid(), rng.choice(["card", "apple_pay", "benefit"])))
            eid = EID[0] <= date <= EID[1]
            deliveries = 1 if (eid or rng.random() < 0.8) else 0
            if eid and rng.random() < 0.6:
                deliveries += 1
            todo = [("delivery", midnight + rng.randrange(5 * 3_600_000, 19 * 3_600_000)) for _ in range(deliveries)]
            if rng.random() < 0.02:
                todo.append(("addition", midnight + rng.randrange(5 * 3_600_000, 24 * 3_600_000)))
            for what, t in sorted(todo, key=lambda x: x[1]):
                if what == "delivery":
                    delivery = self.uuid()
                    tx(t, "DEBIT", "MANUAL_DEDUCTION", "DELIVERY_DEDUCTION", price, update_payment=rng.random() < 0.93,
                       metadata='{"walletId":"wallet#%s","deliveryId":"%s","walletSk":"%s"}' % (user["id"], delivery, delivery))
                    if payment < 0:
                        went_negative += 1
                else:
                    reason = rng.choice(["customer's complaint", "late delivery", 'missing "extra" sauce', "goodwill"])
                    tx(t, "CREDIT", "MANUAL_ADDITION", "CUSTOMERS_CALO_EXPERIMENTS", price,
                       metadata=json.dumps({"reason": reason, "agent": "ops"}, separators=(",", ":")))
        out.sort(key=lambda e: e["t"])
        # Mark where the balances fall out of sync: from that event on, every message of the
        # user logs an out-of-sync line.
        desync_from = None
        if user["role"] == "overdraft" and warning != "never":
            first_negative = next((i for i, e in enumerate(out) if e["payment"] is not None and e["payment"] < 0), None)
            if first_negative is not None:
                if warning == "early":
                    back = rng.randrange(2, 9)
                    debits = [i for i in range(first_negative) if out[i]["type"] == "DEBIT"]
                    desync_from = debits[-back] if len(debits) >= back else (debits[0] if debits else first_negative)
                else:
                    desync_from = first_negative
        if user["role"] == "desync":
            at = day0 + desync_day * 86_400_000
            desync_from = next((i for i, e in enumerate(out) if e["t"] >= at), None)
        for i, e in enumerate(out):
            e["user"] = user
            e["out_of_sync"] = desync_from is not None and i >= desync_from
        return out

    # -- invocations -------------------------------------------------------------------------

    def schedule(self, events):
        """Poll ticks over the whole period, minus planted outages; each tick takes up to ten
        queued events per invocation. Returns invocations as (start ms, [events]) and the gaps."""
        rng, tick = self.rng, self.tick
        end = int((START + dt.timedelta(days=DAYS)).timestamp() * 1000)
        t = int(START.timestamp() * 1000) + 60_000
        outages = []
        for k in range(6):
            day = 10 + k * 23 + rng.randrange(0, 15)
            begin = int((START + dt.timedelta(days=day)).timestamp() * 1000) + rng.randrange(0, 86_400_000)
            outages.append((begin, begin + int(tick * 1000 * rng.uniform(15, 40))))
        outages.sort()
        invocations, queue, e, o = [], [], 0, 0
        while t < end:
            if o < len(outages) and t >= outages[o][0]:
                t = outages[o][1]
                o += 1
                continue
            while e < len(events) and events[e]["t"] <= t:
                queue.append(events[e])
                e += 1
            batch = 0
            while True:
                take, queue = queue[:10], queue[10:]
                start = t + (0 if batch == 0 else rng.randrange(300, 3000))
                invocations.append((start, take))
                batch += 1
                if not queue:
                    break
            t += int(tick * 1000 * rng.uniform(0.85, 1.15))
        invocations.sort(key=lambda inv: inv[0])
        starts = [inv[0] for inv in invocations]
        gaps = []
        for begin, finish in outages:
            before = max(s for s in starts if s < begin)
            after = min(s for s in starts if s >= finish)
            gaps.append((before, after))
        return invocations, gaps


def transaction_dump(e, txid, broken=None):
    u = e["user"]
    fields = [("id", js_string(txid)), ("type", js_string(e["type"])), ("source", js_string(e["source"])),
              ("action", js_string(e["action"])), ("userId", js_string(u["id"]))]
    if e["payment"] is not None:
        fields.append(("paymentBalance", js_number(e["payment"])))
    fields.append(("updatePaymentBalance", "true" if e["update"] else "false"))
    if e["metadata"] is not None:
        fields.append(("metadata", js_string(e["metadata"])))
    fields += [("currency", js_string(u["currency"])), ("amount", js_number(e["amount"])), ("vat", "0"),
               ("oldBalance", js_number(e["old"])), ("newBalance", js_number(e["new"]))]
    lines = ["  transaction: {"] + ["    %s: %s," % f for f in fields]
    lines[-1] = lines[-1][:-1]
    if broken == "quote":
        lines[1] = "    id: '%s," % txid
    elif broken == "value":
        lines[-3] = "    amount: %s %s," % (js_number(e["amount"]), js_number(e["amount"]))
    lines += ["  }", "}"]
    if broken == "truncated":
        lines = lines[:-3]
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=0.02, help="1 = 5,000 subscribers (about 600 MB of logs)")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--tick", type=float, help="seconds between polls (default 60/scale, within 60..1800)")
    p.add_argument("--plain", action="store_true", help="write .log files instead of .log.gz")
    a = p.parse_args()
    tick = a.tick or min(1800.0, max(60.0, 60.0 / a.scale))
    g = Gen(a.seed, a.scale, tick)
    rng = g.rng
    users = g.users()
    events = sorted((e for u in users for e in g.events(u)), key=lambda e: e["t"])
    invocations, gaps = g.schedule(events)
    os.makedirs(a.out, exist_ok=True)

    # Lines are written as entries (a timestamped line and its continuation lines) and sorted
    # by time within a day's file, so concurrent invocations interleave.
    by_day = {}
    truth_rows, rejects, cut_off, timed_out, messages = [], 0, 0, 0, 0
    malformed_every = max(2000, len(events) // 12)
    n_tx = 0
    last_of_day = {}
    for index, (start, batch) in enumerate(invocations):
        if batch:
            last_of_day[iso(start)[:10]] = index
    for index, (start, batch) in enumerate(invocations):
        day = iso(start)[:10]
        entries = by_day.setdefault(day, [])
        rid = g.uuid()
        t = start
        if index == 0 or iso(invocations[index - 1][0])[:10] != day:
            entries.append((t - 700, "%s INIT_START Runtime Version: nodejs:20.v15\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:379cd8c4d157c2e16f1b841486b613da2188da597609ef24d67497ad9c22a53e" % iso(t - 700)))
        entries.append((t, "%s START RequestId: %s Version: $LATEST" % (iso(t), rid)))
        # The last invocation of one day in ten is cut off by the end of its file (the export
        # ran while it was still logging); one in two hundred times out.
        cut = last_of_day.get(day) == index and rng.random() < 0.1
        timeout = not cut and batch and rng.random() < 0.005

        def line(level, text):
            nonlocal t
            t += rng.randrange(5, 60)
            return "%s %s\t%s\t%s\t%s" % (iso(t), iso(t), rid, level, text)

        if not batch:
            mid = g.uuid()
            t += rng.randrange(20, 90)
            entries.append((t, line("INFO", "Processing message %s" % mid)))
            entries.append((t, line("INFO", "Reconciliation check: %d balances verified" % rng.randrange(50, 400))))
            messages += 1
        for k, e in enumerate(batch):
            mid = g.uuid()
            messages += 1
            entries.append((t, line("INFO", "Processing message %s" % mid)))
            n_tx += 1
            broken = None
            if n_tx % malformed_every == malformed_every // 2:
                broken = rng.choice(["quote", "value", "truncated"])
            last_in_cut = cut and k == len(batch) - 1
            mid_dump = last_in_cut and rng.random() < 0.5
            txid = g.ulid(e["t"])
            dump = transaction_dump(e, txid, broken)
            if mid_dump:
                dump = dump[:7]
            body = line("INFO", "Start syncing the balance {")
            entries.append((t, "\n".join([body] + dump)))
            if e["out_of_sync"] and not mid_dump:
                u = e["user"]
                if rng.random() < 0.7:
                    entries.append((t, line("ERROR", "Subscription balance and payment balance are out of sync {\n  userId: '%s',\n  subscriptionBalance: %s,\n  paymentBalance: %s\n}"
                                                % (u["id"], js_number(e["new"]), js_number((e["payment"] if e["payment"] is not None else e["new"]) - u["price"])))))
                else:
                    entries.append((t, line("WARN", "Balance mismatch for %s: wallet and subscription disagree" % u["id"])))
            if broken or mid_dump:
                rejects += 1
            else:
                truth_rows.append((e, txid, body[:24]))
            if last_in_cut:
                cut_off += 1
                break
            if timeout and k == len(batch) - 1:
                t += 3000
                entries.append((t, "%s %s Task timed out after 3.00 seconds" % (iso(t), rid)))
                timed_out += 1
                break
            if rng.random() < 0.05:
                entries.append((t, line("WARN", "Retrying publish of SubscriptionBalanceUpdated event (attempt 2)")))
            entries.append((t, line("INFO", "SubscriptionBalanceUpdated event published")))
        if cut or timeout:
            continue
        t += rng.randrange(5, 40)
        duration = t - start + rng.random()
        entries.append((t, "%s END RequestId: %s" % (iso(t), rid)))
        entries.append((t + 1, "%s REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: 256 MB\tMax Memory Used: %d MB\t"
                        % (iso(t + 1), rid, duration, int(duration) + 1, rng.randrange(80, 120))))

    total = 0
    for day, entries in sorted(by_day.items()):
        entries.sort(key=lambda x: x[0])
        text = "\n".join(x[1] for x in entries) + "\n"
        total += len(text)
        name = os.path.join(a.out, "balance-sync-%s.log%s" % (day, "" if a.plain else ".gz"))
        data = text.encode()
        if a.plain:
            with open(name, "wb") as f:
                f.write(data)
        else:
            with open(name, "wb") as f:
                f.write(gzip.compress(data, compresslevel=9, mtime=0))

    # Truth, from the rows as they were logged intact.
    per_user = {}
    for e, txid, when in truth_rows:
        per_user.setdefault(e["user"]["id"], []).append((when, e))
    overdrafts, out_of_sync, predicted = {}, set(), set()
    overdraft_rows = overdraft_rows_out = 0
    for uid, rows in per_user.items():
        rows.sort(key=lambda r: r[0])
        first_oos = None
        for when, e in rows:
            if e["out_of_sync"]:
                out_of_sync.add(uid)
                if first_oos is None and uid not in overdrafts:
                    first_oos = when
            if e["payment"] is not None and e["payment"] < 0:
                overdraft_rows += 1
                overdraft_rows_out += e["out_of_sync"]
                if uid not in overdrafts:
                    overdrafts[uid] = when
                    if first_oos is not None and first_oos < when:
                        predicted.add(uid)
    truth = {
        "scale": a.scale, "seed": a.seed, "tick_seconds": tick, "users": len(users),
        "bytes": total, "files": len(by_day), "invocations": len(invocations), "messages": messages,
        "transactions": len(truth_rows), "rejects": rejects, "cut_off": cut_off, "timed_out": timed_out,
        "overdraft_users": dict(sorted(overdrafts.items())), "predicted_users": sorted(predicted),
        "out_of_sync_users": sorted(out_of_sync),
        "overdraft_rows": overdraft_rows, "overdraft_rows_out_of_sync": overdraft_rows_out,
        "gaps": [[iso(b), iso(f)] for b, f in gaps],
        "eid": [str(EID[0]), str(EID[1])],
    }
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    print("%d files, %.1f MB of logs, %d invocations, %d transactions, %d rejects, %d overdrawn users"
          % (len(by_day), total / 1e6, len(invocations), len(truth_rows), rejects, len(overdrafts)))


if __name__ == "__main__":
    main()
