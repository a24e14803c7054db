// The whole image as a grid of cells (`difs map`, `difs check --map`): each cell a run of
// consecutive blocks, fed the scan's verdicts in LBA order, keeping its worst state and its counts.

/// A block's state on the map, in the order a cell shows the worst one: a failure outranks any
/// pass; among failures the guard (the data itself is not what was written) outranks the
/// apptag, then the storage tag, then the reftag (a misplaced but intact block), the order the
/// checks run in; escaped outranks unwritten, which outranks ok.
public enum MapState: Int, Sendable, CaseIterable, Comparable {
    case ok = 0, unwritten, escaped, refTag, storageTag, appTag, guardTag

    public init(_ verdict: BlockVerdict) {
        switch verdict {
        case .ok: self = .ok
        case .unwritten: self = .unwritten
        case .escaped: self = .escaped
        case .failed(let error):
            switch error.kind {
            case .guardTag: self = .guardTag
            case .appTag: self = .appTag
            case .storageTag: self = .storageTag
            case .refTag: self = .refTag
            }
        }
    }

    /// The name pi-status and `check --json` use for it.
    public var name: String {
        switch self {
        case .ok: return "ok"
        case .unwritten: return "unwritten"
        case .escaped: return "escaped"
        case .guardTag: return "guard"
        case .appTag: return "apptag"
        case .storageTag: return "stag"
        case .refTag: return "reftag"
        }
    }

    public static func < (a: MapState, b: MapState) -> Bool { a.rawValue < b.rawValue }
}

/// Cells of `blocksPerCell` consecutive blocks (the last may hold fewer), each with its worst
/// state and how many of its blocks are in each state. Memory grows with the cells, not the blocks.
public struct BlockMap: Sendable {
    public let blockCount: UInt64
    public let blocksPerCell: UInt64
    /// The worst state of each cell.
    public private(set) var worst: [MapState]
    /// Per cell, blocks in each state (indexed by `MapState.rawValue`).
    public private(set) var counts: [[UInt64]]

    /// The largest map drawn: beyond it a cell must hold more blocks.
    public static let maxCells: UInt64 = 1 << 16

    /// The smallest power of two blocks per cell that keeps the map within `cells` cells.
    public static func blocksPerCell(blockCount: UInt64, cells: UInt64) -> UInt64 {
        var perCell: UInt64 = 1
        while (blockCount + perCell - 1) / perCell > cells { perCell <<= 1 }
        return perCell
    }

    public init(blockCount: UInt64, blocksPerCell: UInt64) {
        precondition(blocksPerCell > 0)
        self.blockCount = blockCount
        self.blocksPerCell = blocksPerCell
        let cells = Int((blockCount + blocksPerCell - 1) / blocksPerCell)
        worst = Array(repeating: .ok, count: cells)
        counts = Array(repeating: Array(repeating: 0, count: MapState.allCases.count), count: cells)
    }

    public var cellCount: Int { worst.count }

    /// The blocks of cell `cell`.
    public func blocks(ofCell cell: Int) -> ClosedRange<UInt64> {
        let first = UInt64(cell) * blocksPerCell
        return first...min(first + blocksPerCell, blockCount) - 1
    }

    public mutating func add(lba: UInt64, _ verdict: BlockVerdict) {
        let cell = Int(lba / blocksPerCell), state = MapState(verdict)
        counts[cell][state.rawValue] += 1
        if state > worst[cell] { worst[cell] = state }
    }

    /// Blocks in each state over the whole map.
    public var totals: [UInt64] {
        counts.reduce(into: Array(repeating: 0, count: MapState.allCases.count)) { sum, cell in
            for i in cell.indices { sum[i] += cell[i] }
        }
    }
}
