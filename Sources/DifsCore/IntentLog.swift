// The intent log: what a PRACT write is about to change, recorded before it changes anything and
// cleared after, so that after the daemon is killed at any instant every block of an interrupted
// write can be put back to its old contents or forward to its new ones, with a valid tuple.
import Synchronization

/// A crash can leave a block of an interrupted write with new data and the old tuple (the data and
/// the metadata are two writes), or, where the block's bytes cross a page of the image file (a
/// write is cut between pages when the process is killed), with part old and part new data. For
/// each block the record keeps the old metadata and the new (whose guard identifies new data), and
/// for blocks that cross a page the old data too. Replay, per block: data that matches the new
/// guard gets the new metadata; data that matches the old guard gets the old metadata; otherwise
/// the old data (when kept) and the old metadata come back. A block that failed before the write
/// and was not reached keeps failing as it did: nothing is laundered.
///
/// The log is a sidecar file of slots, one per write in flight; a record is one write of its slot
/// (header with a CRC-32C, so a record cut short by the crash is ignored: the image was not yet
/// touched), and clearing it is one 8-byte write. It guards against the daemon's death, not power
/// loss: nothing is fsynced (the page cache outlives the process).
public final class IntentLog: Sendable {
    /// The sidecar file.
    let file: any BlockStore
    let geometry: Geometry
    /// Bytes of one slot, enough for the largest write the log takes.
    let slotBytes: Int
    /// The most blocks one record holds; longer writes are split by the volume.
    public let maxBlocks: Int
    private let slots = Mutex<(free: [Int], next: Int)>(([], 0))

    static let magic: UInt64 = 0x3154_4E49_5346_4944  // "DIFSINT1", little-endian
    static let headerBytes = 32

    /// A log in `file` for writes of up to `maxRequestBytes` bytes of `data` (unaligned ones too).
    public init(file: any BlockStore, geometry: Geometry, maxRequestBytes: Int) {
        self.file = file
        self.geometry = geometry
        let blocks = maxRequestBytes / geometry.logicalBlockSize + 2
        self.maxBlocks = blocks
        let L = geometry.logicalBlockSize, M = geometry.metadataSize
        // Every block's old and new metadata and (at worst) old data, and room for the neighbours
        // (8 bytes each: they lie within a few allocation units of the write, far fewer than 8192).
        let body = blocks * (2 * M + 4 + L) + 8192 * 8
        self.slotBytes = (Self.headerBytes + body + 4095) / 4096 * 4096
    }

    /// Whether block `lba`'s image bytes cross a page boundary, so a killed write can leave it
    /// part old, part new.
    func crossesPage(_ lba: UInt64) -> Bool {
        let range = geometry.blockRangeInImage(lba: lba)
        return range.lowerBound / Self.pageBytes != (range.upperBound - 1) / Self.pageBytes
    }

    /// The smallest page size of Linux; pages are never smaller, so a write is never cut inside one.
    static let pageBytes: UInt64 = 4096

    /// Records `record` in a free slot (one write) and returns the slot: the write it describes may
    /// begin. Fails (ENOSPC, ...) with nothing of the image changed.
    func begin(_ record: IntentRecord) throws(SystemError) -> Int {
        precondition(record.bytes.count <= slotBytes, "intent record of \(record.bytes.count) bytes overflows its \(slotBytes)-byte slot")
        let slot = slots.withLock { s in
            if let slot = s.free.popLast() { return slot }
            s.next += 1
            return s.next - 1
        }
        do {
            try record.bytes.withBytes { (raw) throws(SystemError) in try file.write(raw, at: UInt64(slot * slotBytes)) }
        } catch {
            slots.withLock { $0.free.append(slot) }
            throw error
        }
        return slot
    }

    /// The write recorded in `slot` is done: clears the record and frees the slot. If clearing
    /// fails, the slot stays taken and the record is replayed (harmlessly) at the next mount.
    func end(_ slot: Int) {
        guard (try? clear(slot: slot)) != nil else { return }
        slots.withLock { $0.free.append(slot) }
    }

    /// Clears `slot`: its record no longer describes a write in flight.
    func clear(slot: Int) throws(SystemError) {
        let zero: UInt64 = 0
        try withUnsafeBytes(of: zero) { (raw) throws(SystemError) in try file.write(raw, at: UInt64(slot * slotBytes)) }
    }

    /// Every record still marked in flight, whole (its CRC matches), with its slot.
    public func pendingRecords() throws(SystemError) -> [(slot: Int, record: IntentRecord)] {
        var found: [(Int, IntentRecord)] = []
        let count = Int((file.size + UInt64(slotBytes) - 1) / UInt64(slotBytes))
        var header = [UInt8](repeating: 0, count: Self.headerBytes)
        for slot in 0..<count {
            let at = UInt64(slot * slotBytes)
            try header.withMutableBytes { (raw) throws(SystemError) in try file.read(into: raw, at: at) }
            guard let length = IntentRecord.length(ofHeader: header, geometry: geometry), length <= slotBytes else { continue }
            var bytes = [UInt8](repeating: 0, count: length)
            try bytes.withMutableBytes { (raw) throws(SystemError) in try file.read(into: raw, at: at) }
            if let record = IntentRecord(bytes: bytes, geometry: geometry) { found.append((slot, record)) }
        }
        return found
    }
}

/// One write's record: header, old metadata of every block, new metadata of every block, the
/// indices of the blocks whose old data is kept, that data, and the unwritten neighbours the write
/// gives the unwritten tuple (their LBAs).
///
/// Header (little-endian): magic u64, first LBA u64, block count u32, kept-data count u32,
/// CRC-32C of the whole record with this field zero u32, neighbour count u32.
public struct IntentRecord: Sendable {
    var bytes: [UInt8]
    let M: Int, L: Int

    public var firstLBA: UInt64 { load(UInt64.self, at: 8) }
    public var blockCount: Int { Int(load(UInt32.self, at: 16)) }
    var keptCount: Int { Int(load(UInt32.self, at: 20)) }

    /// A record for `blockCount` blocks from `firstLBA` keeping the old data of `kept` (indices).
    init(geometry: Geometry, firstLBA: UInt64, blockCount: Int, kept: [Int]) {
        M = geometry.metadataSize
        L = geometry.logicalBlockSize
        bytes = [UInt8](repeating: 0, count: IntentLog.headerBytes + blockCount * 2 * M + kept.count * (4 + L))
        store(IntentLog.magic, at: 0)
        store(firstLBA, at: 8)
        store(UInt32(blockCount), at: 16)
        store(UInt32(kept.count), at: 20)
        for (k, i) in kept.enumerated() { store(UInt32(i), at: keptIndexOffset + 4 * k) }
    }

    /// Parses a whole record; nil when it is not one (cleared, never written, or cut short).
    init?(bytes: [UInt8], geometry: Geometry) {
        self.bytes = bytes
        M = geometry.metadataSize
        L = geometry.logicalBlockSize
        guard IntentRecord.length(ofHeader: bytes, geometry: geometry) == bytes.count, load(UInt32.self, at: 24) == checksum,
              firstLBA + UInt64(blockCount) <= geometry.blockCount else { return nil }
    }

    /// The length the header announces; nil when the slot holds no record.
    static func length(ofHeader header: [UInt8], geometry: Geometry) -> Int? {
        guard header.count >= IntentLog.headerBytes else { return nil }
        let magic = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self) }
        guard UInt64(littleEndian: magic) == IntentLog.magic else { return nil }
        let count = Int(UInt32(littleEndian: header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt32.self) }))
        let kept = Int(UInt32(littleEndian: header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 20, as: UInt32.self) }))
        let neighbours = Int(UInt32(littleEndian: header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 28, as: UInt32.self) }))
        guard kept <= count, neighbours <= 1 << 20 else { return nil }
        return IntentLog.headerBytes + count * 2 * geometry.metadataSize + kept * (4 + geometry.logicalBlockSize) + neighbours * 8
    }

    var oldMetadataOffset: Int { IntentLog.headerBytes }
    var newMetadataOffset: Int { IntentLog.headerBytes + blockCount * M }
    var keptIndexOffset: Int { IntentLog.headerBytes + blockCount * 2 * M }
    var keptDataOffset: Int { keptIndexOffset + keptCount * 4 }
    var neighboursOffset: Int { keptDataOffset + keptCount * L }

    /// The unwritten neighbours the write gives the unwritten tuple.
    public var neighbours: [UInt64] {
        (0..<Int(load(UInt32.self, at: 28))).map { load(UInt64.self, at: neighboursOffset + 8 * $0) }
    }

    /// Appends the neighbours (once, before sealing).
    mutating func setNeighbours(_ lbas: [UInt64]) {
        bytes.removeSubrange(neighboursOffset...)
        store(UInt32(lbas.count), at: 28)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: lbas.count * 8))
        for (k, lba) in lbas.enumerated() { store(lba, at: neighboursOffset + 8 * k) }
    }

    func oldMetadata(_ i: Int) -> ArraySlice<UInt8> { bytes[(oldMetadataOffset + i * M)..<(oldMetadataOffset + (i + 1) * M)] }
    func newMetadata(_ i: Int) -> ArraySlice<UInt8> { bytes[(newMetadataOffset + i * M)..<(newMetadataOffset + (i + 1) * M)] }
    /// Block `i`'s old data, when kept.
    func oldData(_ i: Int) -> ArraySlice<UInt8>? {
        for k in 0..<keptCount where Int(load(UInt32.self, at: keptIndexOffset + 4 * k)) == i {
            return bytes[(keptDataOffset + k * L)..<(keptDataOffset + (k + 1) * L)]
        }
        return nil
    }

    mutating func setOldMetadata(_ i: Int, _ source: UnsafeRawBufferPointer) { copy(source, to: oldMetadataOffset + i * M) }
    mutating func setNewMetadata(_ i: Int, _ source: UnsafeRawBufferPointer) { copy(source, to: newMetadataOffset + i * M) }
    /// Every block's old (new) metadata at once, from the run's contiguous metadata (separate layout).
    mutating func setOldMetadata(_ all: UnsafeRawBufferPointer) {
        precondition(all.count == blockCount * M)
        copy(all, to: oldMetadataOffset)
    }
    mutating func setNewMetadata(_ all: UnsafeRawBufferPointer) {
        precondition(all.count == blockCount * M)
        copy(all, to: newMetadataOffset)
    }
    /// Old data of the `k`-th kept block.
    mutating func setOldData(kept k: Int, _ source: UnsafeRawBufferPointer) { copy(source, to: keptDataOffset + k * L) }
    /// Old metadata of block `i` with its tuple replaced by the unwritten one (all ones): the block
    /// was unwritten, and that is the old state to come back to.
    mutating func markOldUnwritten(_ i: Int, tupleOffset: Int, tupleSize: Int) {
        let start = oldMetadataOffset + i * M + tupleOffset
        for j in start..<(start + tupleSize) { bytes[j] = 0xFF }
    }

    /// Seals the record: the checksum goes into the header.
    mutating func seal() { store(checksum, at: 24) }

    /// CRC-32C of the record with its checksum field (bytes 24..<28) taken as zeros.
    var checksum: UInt32 {
        bytes.withUnsafeBytes { all in
            let zeros: UInt32 = 0
            var crc = CRC.crc32c(UnsafeRawBufferPointer(rebasing: all[0..<24]))
            crc = withUnsafeBytes(of: zeros) { CRC.crc32c($0, continuing: crc) }
            return CRC.crc32c(UnsafeRawBufferPointer(rebasing: all[28...]), continuing: crc)
        }
    }

    private mutating func copy(_ source: UnsafeRawBufferPointer, to offset: Int) {
        bytes.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[offset..<(offset + source.count)]).copyMemory(from: source) }
    }

    private func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) })
    }

    private mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { copy($0, to: offset) }
    }
}
