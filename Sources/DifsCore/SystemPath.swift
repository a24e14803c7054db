// A path as the kernel sees it: bytes in whatever encoding they came, passed to open(2) unchanged
// and printed with anything that is not printable UTF-8 escaped, so a message stays one line.

/// A file name from the command line or the system. Swift's `CommandLine.arguments` repairs
/// invalid UTF-8 into U+FFFD, which would name a different file; this keeps the bytes.
public struct SystemPath: Sendable, Hashable, CustomStringConvertible {
    /// The path's bytes, without a terminating NUL (a path cannot contain one).
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(!bytes.contains(0), "a path cannot contain a NUL byte")
        self.bytes = bytes
    }

    public init(_ text: String) { self.init(bytes: Array(text.utf8)) }

    public init(cString: UnsafePointer<CChar>) {
        var bytes: [UInt8] = []
        var p = cString
        while p.pointee != 0 { bytes.append(UInt8(bitPattern: p.pointee)); p += 1 }
        self.init(bytes: bytes)
    }

    /// Calls `body` with the path as a NUL-terminated C string (valid only during the call).
    public func withCString<T, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> T) throws(E) -> T {
        var terminated = bytes.map { CChar(bitPattern: $0) }
        terminated.append(0)
        return try terminated.withUnsafeBufferPointer { (buffer) throws(E) -> T in try body(buffer.baseAddress!) }
    }

    /// The path for messages: printable UTF-8 as is; invalid bytes, control characters (C0, DEL,
    /// C1) as `\xNN` per byte, so the line never carries a raw control byte or a newline.
    public var description: String { Self.escaped(bytes) }

    /// The directory holding the last component: `dir` for `dir/name`, `.` for `name`, `/` for `/name`.
    public var directory: SystemPath {
        let trimmed = bytes.lastIndex(where: { $0 != slash }).map { bytes[...$0] } ?? bytes[...]
        guard let cut = trimmed.lastIndex(of: slash) else { return SystemPath(".") }
        let head = trimmed[..<cut]
        guard let end = head.lastIndex(where: { $0 != slash }) else { return SystemPath("/") }
        return SystemPath(bytes: Array(head[...end]))
    }

    /// `self/component`.
    public func appending(_ component: String) -> SystemPath {
        SystemPath(bytes: bytes + (bytes.last == slash ? [] : [slash]) + Array(component.utf8))
    }

    /// The same name with `suffix` appended to its last component (a sidecar: `img` → `img.intent`).
    public func addingSuffix(_ suffix: String) -> SystemPath {
        SystemPath(bytes: bytes + Array(suffix.utf8))
    }

    /// Escapes bytes for a one-line message (see `description`).
    public static func escaped(_ bytes: [UInt8]) -> String {
        var out = ""
        func escape(_ byte: UInt8) {
            let digits = Array("0123456789abcdef")
            out += "\\x"
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        var i = 0
        while i < bytes.count {
            guard let (scalar, length) = decodeScalar(bytes, at: i) else { escape(bytes[i]); i += 1; continue }
            if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) {
                for byte in bytes[i..<(i + length)] { escape(byte) }
            } else {
                out.unicodeScalars.append(scalar)
            }
            i += length
        }
        return out
    }

    /// The well-formed UTF-8 scalar at `i` (RFC 3629: no overlong forms, no surrogates, at most
    /// U+10FFFF) and its length, or nil when the byte at `i` does not start one.
    static func decodeScalar(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[i]
        let length: Int, minimum: UInt32
        var value: UInt32
        switch lead {
        case 0x00...0x7f: return (Unicode.Scalar(lead), 1)
        case 0xc2...0xdf: (length, minimum, value) = (2, 0x80, UInt32(lead & 0x1f))
        case 0xe0...0xef: (length, minimum, value) = (3, 0x800, UInt32(lead & 0x0f))
        case 0xf0...0xf4: (length, minimum, value) = (4, 0x10000, UInt32(lead & 0x07))
        default: return nil
        }
        guard i + length <= bytes.count else { return nil }
        for byte in bytes[(i + 1)..<(i + length)] {
            guard byte & 0xc0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3f)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}

private let slash = UInt8(ascii: "/")
