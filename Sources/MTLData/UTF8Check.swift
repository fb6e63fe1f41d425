/// Checks raw bytes before parsing, so a bad byte is reported where it is rather than as a
/// confusing parse error later.
enum ByteCheck {
    /// The first NUL byte or invalid UTF-8 sequence, with its 1-based line and column. Lines end
    /// at LF; with `crEndsLines`, also at a CR not followed by LF, as the delimited reader counts them.
    static func firstProblem(in bytes: UnsafeBufferPointer<UInt8>, crEndsLines: Bool) -> (line: Int, column: Int, message: String)? {
        var line = 1
        var lineStart = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0 { return (line, i - lineStart + 1, "NUL byte in text data") }
                // A CRLF counts at its LF; a lone CR, where it ends lines, at the CR.
                if b == 0x0A || (crEndsLines && b == 0x0D && DelimitedReader.lineEnd(in: bytes, at: i) == 1) { line += 1; lineStart = i + 1 }
                i += 1
                continue
            }
            let length: Int
            let minimum: UInt32
            var scalar: UInt32
            switch b {
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(b & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(b & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(b & 0x07)
            default: return (line, i - lineStart + 1, "invalid UTF-8 byte 0x\(String(b, radix: 16))")
            }
            if i + length > n { return (line, i - lineStart + 1, "truncated UTF-8 sequence") }
            for k in 1..<length {
                let c = bytes[i + k]
                if c & 0xC0 != 0x80 {
                    return (line, i - lineStart + 1, "invalid UTF-8 sequence")
                }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) {
                return (line, i - lineStart + 1, "invalid UTF-8 sequence")
            }
            i += length
        }
        return nil
    }
}
