import CWeirSystem
import WeirSystem

/// Whether a path lies on a filesystem that several hosts mount, where SQLite's WAL mode
/// (shared memory between the processes of one host) cannot be used.
enum NetworkFilesystem {
    /// `statfs` magic numbers of network and cluster filesystems (linux/magic.h and the
    /// filesystems' own headers).
    static let magics: Set<UInt> = [
        0x6969,  // NFS
        0x517B,  // SMB
        0xFF53_4D42,  // CIFS
        0xFE53_4D42,  // SMB2
        0x0BD0_0BD0,  // Lustre
        0x4750_4653,  // GPFS
        0x1983_0326,  // BeeGFS
        0x00C3_6400,  // Ceph
        0x5346_414F,  // AFS
        0x0116_1970,  // GFS2
        0x7461_636F,  // OCFS2
        0x6573_5546,  // FUSE (sshfs, s3fs, …: cannot tell, so be safe)
    ]

    static func contains(_ path: String) -> Bool {
        magics.contains(UInt(UInt32(truncatingIfNeeded: Syscall.filesystemType(path))))
    }
}
