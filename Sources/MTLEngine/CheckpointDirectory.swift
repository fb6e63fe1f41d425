import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// A checkpoint directory that changes from one complete save to the next, never in between.
///
/// Every file of a save goes into a staging directory beside the target (`.NAME.saving-PID`),
/// is fsynced, and the staging directory then takes the target's place in one atomic
/// `renameat2(RENAME_EXCHANGE)`; the previous checkpoint, now under the staging name, is
/// deleted. Killed at any instant, the process leaves the target holding the old save or the
/// new one, and at worst a staging directory that the next save (by any process) removes.
///
/// Where the file system cannot exchange, the target is first renamed aside
/// (`.NAME.previous-PID`) and the staging directory renamed in: a kill between the two leaves
/// no target but a complete previous save, which `resolve` reads and the next save puts back.
enum CheckpointDirectory {
    /// The files a checkpoint may hold; anything else in a target directory is the user's, and a
    /// save refuses to replace it.
    static let checkpointFiles: Set<String> = ["model.json", "model.safetensors", "optimizer.safetensors", "best.safetensors", "last.safetensors"]

    /// Writes `files` as the checkpoint at `directory`, replacing the one there.
    static func write(_ files: [(name: String, bytes: [UInt8])], to directory: String) throws {
        let target = try Target(directory)
        try createParent(target)
        try checkReplaceable(target.path)
        removeStale(target)
        let staging = target.sibling("saving-\(getpid())")
        try? FileManager.default.removeItem(atPath: staging)
        guard mkdir(staging, 0o755) == 0 else { throw CheckpointError(directory, "cannot create \(staging): \(lastError())") }
        do {
            for file in files { try writeDurably(file.bytes, to: (staging as NSString).appendingPathComponent(file.name)) }
            try syncDirectory(staging)
            try swapIn(staging, for: target)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
        try? FileManager.default.removeItem(atPath: staging)   // the previous save, after the exchange
    }

    /// Why `directory` cannot take a checkpoint (a file, or a directory holding other files), or nil.
    static func problem(saving directory: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { return "is a file, not a directory" }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        if let foreign = entries.sorted().first(where: { !checkpointFiles.contains($0) && !isLegacyTemporary($0) }) {
            return "holds '\(foreign)', which is not part of a checkpoint; save into a new or empty directory"
        }
        return nil
    }

    /// The directory to read the checkpoint at `directory` from: itself, or the complete previous
    /// save that a save killed between its two renames left beside it.
    static func resolve(_ directory: String) -> String {
        guard !FileManager.default.fileExists(atPath: directory), let target = try? Target(directory) else { return directory }
        return target.leftovers(kind: "previous").last ?? directory
    }

    // MARK: Steps

    private static func createParent(_ target: Target) throws {
        do {
            try FileManager.default.createDirectory(atPath: target.parent, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(target.path, "cannot create directory \(target.parent): \(error.localizedDescription)")
        }
    }

    private static func checkReplaceable(_ directory: String) throws {
        if let problem = problem(saving: directory) { throw CheckpointError(directory, problem) }
    }

    /// Staging and set-aside directories of saves that died. A set-aside previous save with no
    /// target is put back first: it is the newest complete checkpoint there is.
    private static func removeStale(_ target: Target) {
        let previous = target.leftovers(kind: "previous").filter { !isAlive(pid(of: $0)) }
        if !FileManager.default.fileExists(atPath: target.path), let newest = previous.last {
            _ = rename(newest, target.path)
        }
        for path in target.leftovers(kind: "previous") + target.leftovers(kind: "saving")
        where !isAlive(pid(of: path)) || pid(of: path) == getpid() {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    private static func swapIn(_ staging: String, for target: Target) throws {
        if !FileManager.default.fileExists(atPath: target.path) {
            guard rename(staging, target.path) == 0 else { throw CheckpointError(target.path, "rename failed: \(lastError())") }
        } else if mtl_rename_exchange(staging, target.path) != 0 {
            guard errno == EINVAL || errno == ENOSYS else { throw CheckpointError(target.path, "cannot replace: \(lastError())") }
            let aside = target.sibling("previous-\(getpid())")
            guard rename(target.path, aside) == 0 else { throw CheckpointError(target.path, "rename failed: \(lastError())") }
            guard rename(staging, target.path) == 0 else {
                _ = rename(aside, target.path)
                throw CheckpointError(target.path, "rename failed: \(lastError())")
            }
            _ = rename(aside, staging)   // removed by the caller, as after an exchange
        }
        try syncDirectory(target.parent)
    }

    /// Temp file names of the release that wrote each file by itself (`model.json.tmp-123`).
    private static func isLegacyTemporary(_ name: String) -> Bool {
        guard let range = name.range(of: ".tmp-") else { return false }
        return checkpointFiles.contains(String(name[..<range.lowerBound])) && Int(name[range.upperBound...]) != nil
    }

    /// Writes `bytes` to `path` through a temp file beside it, fsynced and renamed over it: the
    /// file is the old one or the new one whenever the process dies. (Foundation's `.atomic`
    /// leaves a `TemporaryDirectory.*` folder behind in the temp directory on Linux.)
    static func replaceFile(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".tmp-\(getpid())"
        do {
            try writeDurably(bytes, to: temporary)
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CheckpointError(path, "rename failed: \(lastError())")
        }
    }

    private static func writeDurably(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError(path, "cannot write: \(lastError())") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard n > 0 else { throw CheckpointError(path, "write failed: \(lastError())") }
            written += n
        }
        guard fsync(fd) == 0 else { throw CheckpointError(path, "fsync failed: \(lastError())") }
    }

    private static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw CheckpointError(path, "cannot open directory: \(lastError())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw CheckpointError(path, "fsync failed: \(lastError())") }
    }

    private static func pid(of path: String) -> pid_t {
        pid_t(path.split(separator: "-").last.flatMap { Int32($0) } ?? 0)
    }

    private static func isAlive(_ pid: pid_t) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }

    /// The target as an absolute parent and a name, so its siblings can be named.
    private struct Target {
        let path: String
        let parent: String
        let name: String

        init(_ directory: String) throws {
            let absolute = directory.hasPrefix("/") ? directory
                : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(directory)
            path = (absolute as NSString).standardizingPath
            name = (path as NSString).lastPathComponent
            parent = (path as NSString).deletingLastPathComponent
            let workingDirectory = (FileManager.default.currentDirectoryPath as NSString).standardizingPath
            guard !name.isEmpty, name != "/", name != ".", name != "..", path != workingDirectory else {
                throw CheckpointError(directory, "cannot save into this directory itself; name a directory for the checkpoint (e.g. runs/NAME)")
            }
        }

        func sibling(_ suffix: String) -> String { (parent as NSString).appendingPathComponent(".\(name).\(suffix)") }

        /// Siblings `.NAME.KIND-PID`, oldest first.
        func leftovers(kind: String) -> [String] {
            let prefix = ".\(name).\(kind)-"
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            return entries.filter { $0.hasPrefix(prefix) && Int32($0.dropFirst(prefix.count)) != nil }
                .map { (parent as NSString).appendingPathComponent($0) }
                .sorted { modificationDate($0) < modificationDate($1) }
        }

        private func modificationDate(_ path: String) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
        }
    }
}
