// The one number grammar of difs's command line: every `-o` value and every subcommand flag that
// takes a number reads it here.

/// Decimal digits, or `0x`/`0X` and hex digits; where a count or size makes sense, a binary suffix
/// `K`, `M`, `G` or `T` (×1024ⁿ, either case) after decimal digits (`4k`, `64K`, `1M`). No sign,
/// no spaces, no separators. A value above `max` (after the suffix) is refused like a typo.
public enum NumberGrammar {
    public static func parse(_ text: String, max: UInt64, suffixes: Bool) -> UInt64? {
        var body = Array(text.utf8)
        let hex = body.count > 2 && body[0] == UInt8(ascii: "0") && (body[1] | 0x20) == UInt8(ascii: "x")
        var shift: UInt64 = 0
        if suffixes, !hex, let last = body.last {
            switch last | 0x20 {
            case UInt8(ascii: "k"): shift = 10
            case UInt8(ascii: "m"): shift = 20
            case UInt8(ascii: "g"): shift = 30
            case UInt8(ascii: "t"): shift = 40
            default: break
            }
            if shift > 0 { body.removeLast() }
        }
        let digits = hex ? body.dropFirst(2) : body[...]
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        let radix: UInt64 = hex ? 16 : 10
        for byte in digits {
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: digit = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: digit = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            let (times, overflow1) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = times.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        guard value <= max >> shift else { return nil }
        return value << shift
    }
}
