// Paths as bytes: messages escape what is not printable UTF-8 (RFC 3629 well-formedness), and the
// directory of a path is found on bytes, whatever their encoding.
import DifsCore
import Testing

@Suite("System paths")
struct SystemPathTests {
    @Test("Printable UTF-8 is shown as is; invalid bytes and control characters as \\xNN per byte",
          arguments: [
              ([0x69, 0x6d, 0x67], "img"),
              ([0xff, 0xfe], "\\xff\\xfe"),
              ([0x61, 0x0a, 0x62, 0x1b, 0x7f], "a\\x0ab\\x1b\\x7f"),
              ([0xc3, 0xa9, 0x2e, 0x69, 0x6d, 0x67], "é.img"),
              ([0xef, 0xbf, 0xbd], "\u{FFFD}"),                 // a real U+FFFD stays one
              ([0xf0, 0x9f, 0x92, 0xbe], "💾"),
              ([0xc2, 0x85], "\\xc2\\x85"),                     // U+0085, a C1 control (NEL)
              ([0xc0, 0xaf], "\\xc0\\xaf"),                     // overlong '/'
              ([0xed, 0xa0, 0x80], "\\xed\\xa0\\x80"),          // a UTF-16 surrogate
              ([0xf4, 0x90, 0x80, 0x80], "\\xf4\\x90\\x80\\x80"),  // above U+10FFFF
              ([0xe2, 0x82], "\\xe2\\x82"),                     // truncated sequence
              ([0xe2, 0x82, 0x41], "\\xe2\\x82A"),
          ] as [([UInt8], String)])
    func escapes(bytes: [UInt8], shown: String) {
        #expect(SystemPath(bytes: bytes).description == shown)
    }

    @Test("Bytes survive a round trip through a C string")
    func cStringRoundTrip() {
        let path = SystemPath(bytes: [0xff, 0xfe, 0x2f, 0x01, 0x80])
        let back = path.withCString { SystemPath(cString: $0) }
        #expect(back == path)
    }

    @Test("The directory of a path, on bytes",
          arguments: [("img", "."), ("dir/img", "dir"), ("/img", "/"), ("/a/b/img", "/a/b"),
                      ("dir/img/", "dir"), ("dir//img", "dir"), ("//img", "/")])
    func directory(path: String, directory: String) {
        #expect(SystemPath(path).directory == SystemPath(directory))
    }

    @Test("The directory of a non-UTF-8 path keeps its bytes")
    func directoryKeepsBytes() {
        #expect(SystemPath(bytes: [0xff, 0x2f, 0xfe]).directory == SystemPath(bytes: [0xff]))
        #expect(SystemPath(bytes: [0xff]).appending(".x") == SystemPath(bytes: [0xff, 0x2f, 0x2e, 0x78]))
        #expect(SystemPath(bytes: [0xff]).addingSuffix(".x") == SystemPath(bytes: [0xff, 0x2e, 0x78]))
    }
}
