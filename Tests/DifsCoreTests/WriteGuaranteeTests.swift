// What a failed write leaves: nothing changed. A store that runs out of space mid-write (as a small
// file system does, unit by unit) must see the space asked for before any byte changes.
import DifsCore
import Testing

@Suite("Write guarantees")
struct WriteGuaranteeTests {
    @Test("A write that runs out of space fails with ENOSPC and changes no byte of the image",
          arguments: PICase.all(types: [.type1]))
    func noSpaceChangesNothing(c: PICase) throws {
        // 512-byte units, so even 512-byte blocks allocate one unit each.
        let f = try VolumeFixture(c, nlb: 48, allocationUnit: 512)
        let blocks = (0..<48).map { patternBlock(lba: UInt64($0), size: c.lbs) }
        #expect(try f.write(at: 0, blocks[0]) == c.lbs)              // block 0 written, the rest holes
        let used = f.store.allocatedUnits.filter { $0 }.count
        f.store.limitCapacity(toUnits: used + 3)
        let before = f.store.snapshot
        let unitsBefore = f.store.allocatedUnits
        // Blocks 8..<40 (and an unaligned tail) need far more than 3 units.
        let payload = Array(blocks[8..<40].joined()) + [UInt8](repeating: 0x5A, count: c.lbs / 2)
        #expect(throws: VolumeError.io(SystemError(errno: SystemError.noSpace, operation: "MemoryStore reserve: no space left"))) {
            try f.write(at: 8 * c.lbs, payload)
        }
        #expect(f.store.snapshot == before, "a failed write changed image bytes")
        #expect(f.store.allocatedUnits == unitsBefore, "a failed write allocated units")
        // And everything reads as before: block 0 written, the rest unwritten zeros.
        #expect(try f.read(at: 0, count: c.lbs) == blocks[0])
        #expect(try f.read(at: 8 * c.lbs, count: 32 * c.lbs) == [UInt8](repeating: 0, count: 32 * c.lbs))
        // Once there is room, the same write succeeds.
        f.store.limitCapacity(toUnits: 10_000)
        #expect(try f.write(at: 8 * c.lbs, payload) == payload.count)
        #expect(try f.read(at: 8 * c.lbs, count: 32 * c.lbs) == Array(blocks[8..<40].joined()))
    }
}
