// `difs inject`: corrupts one field of one block in place (a bit flip or a new value) and prints
// the old and new bytes, so `difs check` and a mounted read have a known failure to find.
import DifsCommandLine
import DifsCore

enum Inject {
    static let usage = "usage: difs inject IMAGE --lba N --field guard|apptag|stag|reftag|data [--bit B | --value V] [--byte-offset N] [-o OPT,...]"

    typealias Field = InjectCommand.Field

    /// Where the change goes: `length` bytes at image byte `imageByte`, read as one big-endian number,
    /// of which the field is the `bitCount` bits from bit `bitShift` up (a storage tag and a reference
    /// tag share the storage and reference space at any bit boundary STS sets).
    struct Target {
        var imageByte: UInt64
        var length: Int
        var bitShift: Int = 0
        var bitCount: Int

        init(imageByte: UInt64, length: Int, bitShift: Int = 0, bitCount: Int? = nil) {
            self.imageByte = imageByte
            self.length = length
            self.bitShift = bitShift
            self.bitCount = bitCount ?? length * 8
        }

        /// The image byte holding the field's most significant bit.
        var firstByte: UInt64 { imageByte + UInt64(length - 1 - (bitShift + bitCount - 1) / 8) }
    }

    static func main(_ arguments: Arguments) -> Int32 {
        var command: InjectCommand
        do throws(ConfigError) {
            let args = try SubcommandArguments(arguments, valued: InjectCommand.valued, switches: InjectCommand.switches)
            if args.wantsHelp { printHelp(); return 0 }
            command = try InjectCommand(args)
            command.options = try IdentifyCommand.resolve(command.options, groups: args.optionGroups, image: command.path,
                                                          passThroughAllowed: false, command: "inject")
        } catch {
            return refuse("inject", error)
        }
        let path = command.path, options = command.options, lba = command.lba, field = command.field
        let change = (bit: command.bit, value: command.value), byteOffset = command.byteOffset
        noticeIgnoredProperties(options, command: "inject")

        do throws(ConfigError) {
            // Never through a symbolic link (O_NOFOLLOW) and only a regular file: inject writes
            // bytes the user did not, so it must land on the file named, not one a link points to.
            let opened = try OpenedImage(path: path, options: options, readOnly: false, followSymlinks: false, command: "inject")
            let image = opened.store, geometry = opened.geometry
            guard !opened.isReadOnly else { throw ConfigError(path.description, "not writable") }
            // The mount daemon holds this lock for its lifetime; held here until exit, so a mount
            // cannot start halfway through either. Split images: both files.
            try opened.lock(.exclusive, path: path, fallback: "in use: a difs mount holds it; unmount it first")
            // Replaying a killed daemon's interrupted writes later would rewrite what is injected now.
            guard !IntentSidecar.exists(forImage: path) else {
                throw ConfigError(IntentSidecar.path(forImage: path).description, "interrupted writes of a killed daemon are pending; run difs check on the image first to replay them")
            }
            guard lba < geometry.blockCount else {
                throw ConfigError("--lba \(lba)", "past the last block (the image has \(geometry.blockCount) blocks)")
            }
            let target = try locate(field, lba: lba, byteOffset: byteOffset ?? 0, geometry: geometry)
            let width = UInt64(target.bitCount)
            if let bit = change.bit, bit >= width {
                throw ConfigError("--bit \(bit)", "the \(field.rawValue) field has \(width) bits (0 to \(width - 1))")
            }
            if let value = change.value, width < 64, value >> width != 0 {
                throw ConfigError("--value \(value)", "wider than the \(width)-bit \(field.rawValue) field")
            }
            // The mount's own rule for unwritten blocks, which are never checked.
            let unwritten: Bool
            do throws(VolumeError) {
                let volume = try Volume(store: image, geometry: geometry, policy: options.policy, readOnly: true)
                unwritten = try volume.isUnwritten(lba: lba)
            } catch {
                guard case .io(let systemError) = error else { throw ConfigError(path.description, "\(error)") }
                throw ConfigError(path.description, systemError.description)
            }
            guard !unwritten else {
                throw ConfigError("--lba \(lba)", "is unwritten (its data is a hole) and never checked; write it first, or use -o holes=check")
            }
            return apply(target, change: change, to: image, path: path, at: opened.location(ofImageByte: target.firstByte), describing: "lba \(lba) \(field.rawValue)" + (field == .data ? " byte \(byteOffset ?? 0)" : ""))
        } catch {
            return refuse("inject", error)
        }
    }

    /// The image bytes of `field` in block `lba`: a tag inside the tuple, or one data byte.
    static func locate(_ field: Field, lba: UInt64, byteOffset: UInt64, geometry: Geometry) throws(ConfigError) -> Target {
        let format = geometry.format
        let guardSize = format.guardFormat.guardSize
        let tuple = geometry.metadataByteOffset(lba: lba) + UInt64(format.tupleOffset)
        precondition(field == .data || format.isProtected, "InjectCommand refuses tuple fields with pi=0")
        // The storage and reference space after the guard and the apptag: the storage tag is its STS
        // most significant bits, the reference tag the rest (NVM Command Set 1.2 §5.3.1.4).
        let space = tuple + UInt64(guardSize) + 2, spaceLength = format.tupleSize - guardSize - 2
        let widths = format.tupleFormat
        switch field {
        case .guardTag: return Target(imageByte: tuple, length: guardSize)
        case .appTag: return Target(imageByte: tuple + UInt64(guardSize), length: 2)
        case .storageTag:
            guard widths.storageTagBits > 0 else {
                throw ConfigError("--field stag", "the format has no storage tag (sts=0); give -o sts=N")
            }
            return Target(imageByte: space, length: spaceLength, bitShift: widths.refTagBits, bitCount: widths.storageTagBits)
        case .refTag:
            guard widths.refTagBits > 0 else {
                throw ConfigError("--field reftag", "sts=\(widths.storageTagBits) leaves no reference tag")
            }
            return Target(imageByte: space, length: spaceLength, bitShift: 0, bitCount: widths.refTagBits)
        case .data:
            guard byteOffset < UInt64(format.logicalBlockSize) else {
                throw ConfigError("--byte-offset \(byteOffset)", "past the \(format.logicalBlockSize)-byte block")
            }
            return Target(imageByte: geometry.dataByteOffset(lba: lba) + byteOffset, length: 1)
        }
    }

    /// Reads the field, flips the bit (bit 0 = least significant bit of the field; default 0)
    /// or sets the value, writes it back, flushes, and prints `lba 17 guard: 0x1a2b -> 0x1a2a`.
    static func apply(_ target: Target, change: (bit: UInt64?, value: UInt64?), to image: any BlockStore, path: SystemPath, at location: String, describing name: String) -> Int32 {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: target.length, alignment: 8)
        defer { bytes.deallocate() }
        // Bit k of the big-endian number the bytes hold is bit k % 8 of byte length - 1 - k / 8.
        func bit(_ k: Int) -> UInt64 { UInt64(bytes[target.length - 1 - k / 8] >> UInt8(k % 8)) & 1 }
        func setBit(_ k: Int, _ on: Bool) {
            let i = target.length - 1 - k / 8, m = UInt8(1) << UInt8(k % 8)
            bytes[i] = on ? bytes[i] | m : bytes[i] & ~m
        }
        do throws(SystemError) {
            try image.read(into: bytes, at: target.imageByte)
            let old = (0..<target.bitCount).reduce(UInt64(0)) { $0 | bit(target.bitShift + $1) << UInt64($1) }
            let new = change.value ?? old ^ (1 << (change.bit ?? 0))
            for k in 0..<target.bitCount { setBit(target.bitShift + k, (new >> UInt64(k)) & 1 == 1) }
            try image.write(UnsafeRawBufferPointer(bytes), at: target.imageByte)
            try image.synchronize()
            let digits = (target.bitCount + 3) / 4
            print("\(name): \(hex(old, digits: digits)) -> \(hex(new, digits: digits)) (\(location))"
                  + (old == new ? " unchanged" : ""))
            return 0
        } catch {
            printError("difs inject: \(path.description): \(error.description)")
            return 2
        }
    }

    static func printHelp() {
        print("""
            \(usage)

            Changes one field of block --lba in place (the -o format keys must match the image; see difs -h):
              --field guard|apptag|stag|reftag   a tag of the PI tuple, as a number of its width
                                            (stag: the sts-bit storage tag; reftag: what sts leaves)
              --field data                  one data byte, at --byte-offset N in the block (default 0)
              --bit B                       flip bit B (0 = least significant; default 0)
              --value V                     set the field (or the data byte) to V instead
            Prints `lba N FIELD: 0xOLD -> 0xNEW (image byte K)`. Refused while a difs mount holds the
            image, for a symbolic link or anything but a regular file, and for an unwritten block
            (its data is a hole) unless -o holes=check.
            Exit status: 0 changed, 2 usage or I/O error.
            """)
    }
}
