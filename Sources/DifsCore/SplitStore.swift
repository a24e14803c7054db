// The split layout as one block store: a data file and a metadata sidecar presented as the
// separate layout's address space, so the volume reads and writes them like a QEMU image.

/// Bytes `[0, dataSize)` are the data file, `[dataSize, dataSize + metadataSize)` the sidecar
/// (`layout=split`). Geometry addresses it exactly as `separate`: block `n`'s data at `n*lbasz`,
/// its metadata at `dataSize + n*ms`, which is byte `n*ms` of the sidecar — the Linux target's
/// fileio `.protection` file (`pos = lba * prot_length`) and the ublk loop target's integrity file
/// (byte `lba * metadata_size`) put it there too. The volume's allocation map counts units in
/// this address space: exact for the data file; for the sidecar (whose units start at its own
/// byte 0, not at `dataSize`) it only matters to the neighbour rule, which for a split image
/// depends on the data file's holes alone.
public final class SplitStore: BlockStore {
    public let data: any BlockStore
    public let metadata: any BlockStore
    /// Bytes of the data file that belong to the image (nlb × lbasz).
    public let dataSize: UInt64
    /// Bytes of the sidecar that belong to the image (nlb × ms).
    public let metadataSize: UInt64

    public init(data: any BlockStore, metadata: any BlockStore, dataSize: UInt64, metadataSize: UInt64) {
        self.data = data
        self.metadata = metadata
        self.dataSize = dataSize
        self.metadataSize = metadataSize
    }

    public var size: UInt64 { dataSize + metadataSize }
    /// The larger unit of the two files: a write allocates at least this much in either.
    public var allocationUnit: Int { max(data.allocationUnit, metadata.allocationUnit) }

    /// Calls `body` once per file the range `bytes` touches, with the file, the part of the range
    /// in it (in the file's own offsets), where that part starts within `bytes`, and the file's
    /// offset in the image (0 or `dataSize`).
    @inline(__always)
    private func pieces(_ bytes: Range<UInt64>,
                        _ body: (any BlockStore, Range<UInt64>, Int, UInt64) throws(SystemError) -> Void) throws(SystemError) {
        if bytes.lowerBound < dataSize {
            let end = min(bytes.upperBound, dataSize)
            try body(data, bytes.lowerBound..<end, 0, 0)
        }
        if bytes.upperBound > dataSize {
            let start = max(bytes.lowerBound, dataSize)
            try body(metadata, (start - dataSize)..<(bytes.upperBound - dataSize), Int(start - bytes.lowerBound), dataSize)
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: UInt64) throws(SystemError) {
        try pieces(byteOffset..<(byteOffset + UInt64(buffer.count))) { (file, range, at, _) throws(SystemError) in
            try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[at..<(at + range.count)]), at: range.lowerBound)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at byteOffset: UInt64) throws(SystemError) {
        try pieces(byteOffset..<(byteOffset + UInt64(bytes.count))) { (file, range, at, _) throws(SystemError) in
            try file.write(UnsafeRawBufferPointer(rebasing: bytes[at..<(at + range.count)]), at: range.lowerBound)
        }
    }

    /// Each file's allocation, the sidecar's shifted up by `dataSize`, joined into one answer.
    public func allocation(of bytes: Range<UInt64>) throws(SystemError) -> Allocation {
        guard !bytes.isEmpty else { return .hole }
        var extents: [Range<UInt64>] = []
        var allData = true
        try pieces(bytes) { (file, range, _, shift) throws(SystemError) in
            switch try file.allocation(of: range) {
            case .data: extents.append((range.lowerBound + shift)..<(range.upperBound + shift))
            case .hole: allData = false
            case .mixed(let parts):
                allData = false
                extents += parts.map { ($0.lowerBound + shift)..<($0.upperBound + shift) }
            }
        }
        if allData { return .data }
        if extents.isEmpty { return .hole }
        // A data-file extent ending at dataSize and a sidecar extent starting at 0 touch: join them.
        var joined: [Range<UInt64>] = []
        for extent in extents {
            if let last = joined.last, last.upperBound == extent.lowerBound {
                joined[joined.count - 1] = last.lowerBound..<extent.upperBound
            } else {
                joined.append(extent)
            }
        }
        return .mixed(joined)
    }

    public func reserve(_ bytes: Range<UInt64>) throws(SystemError) {
        try pieces(bytes) { (file, range, _, _) throws(SystemError) in try file.reserve(range) }
    }

    public func punchHole(_ bytes: Range<UInt64>) throws(SystemError) {
        try pieces(bytes) { (file, range, _, _) throws(SystemError) in try file.punchHole(range) }
    }

    public func synchronize() throws(SystemError) {
        try data.synchronize()
        try metadata.synchronize()
    }
}

extension SplitStore {
    /// The image sizes of a split pair, or a one-line refusal: the data file must hold whole
    /// blocks and the sidecar exactly `ms` bytes for each of them. A shorter sidecar cannot hold
    /// the metadata of every block; a longer one means another `ms` or block size (or a file that
    /// is not this image's sidecar) — both are refused rather than guessed at, naming the `ms` the
    /// two sizes would fit.
    public static func imageSizes(dataFileSize: UInt64, metadataFileSize: UInt64, format: Format,
                                  dataPath: String, metadataPath: String) throws(ConfigError) -> (data: UInt64, metadata: UInt64) {
        let lbs = UInt64(format.logicalBlockSize), ms = UInt64(format.metadataSize)
        guard dataFileSize >= lbs else {
            throw ConfigError(dataPath, "data file of \(dataFileSize) bytes is smaller than one \(lbs)-byte block (layout=split)")
        }
        guard dataFileSize % lbs == 0 else {
            throw ConfigError(dataPath, "data file of \(dataFileSize) bytes is not a whole number of \(lbs)-byte blocks (layout=split)")
        }
        let blockCount = dataFileSize / lbs
        let want = blockCount * ms
        guard metadataFileSize == want else {
            let fits = metadataFileSize % blockCount == 0 && metadataFileSize > 0 ? " (its size fits ms=\(metadataFileSize / blockCount))" : ""
            let relation = metadataFileSize < want ? "shorter than" : "longer than"
            throw ConfigError(metadataPath, "metadata file of \(metadataFileSize) bytes is \(relation) the \(blockCount) blocks × ms=\(ms) = \(want) bytes the data file needs\(fits)")
        }
        return (dataFileSize, want)
    }
}
