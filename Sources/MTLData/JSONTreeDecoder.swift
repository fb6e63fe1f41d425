import Foundation

/// Decodes a `JSONSerialization` tree, only to say where `JSONDecoder` failed when it would
/// not: on Linux a number that its field cannot hold (`"seed": -1` for a UInt64,
/// `"learningRate": 1e300` for a Float) is reported as "not valid JSON" with no key. Decoding
/// the same type again here finds the first such value with its key path and the range it
/// must lie in. Success paths never come here: `JSONDecoder` reads every value.
struct JSONTreeDecoder: Decoder {
    let value: Any
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The first error decoding `type` from `data` meets, or nil (not JSON, or it decodes).
    static func firstProblem<T: Decodable>(decoding type: T.Type, from data: Data) -> Error? {
        guard let tree = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) else { return nil }
        do {
            _ = try decode(type, from: tree, at: [])
            return nil
        } catch {
            return error
        }
    }

    static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    static func decode<T: Decodable>(_ type: T.Type, from value: Any, at path: [CodingKey]) throws -> T {
        if let primitive = try primitive(type, from: value, at: path) { return primitive }
        return try T(from: JSONTreeDecoder(value: value, codingPath: path))
    }

    /// A string, a boolean or a number as `T`, checked against T's range; nil for other types.
    private static func primitive<T>(_ type: T.Type, from value: Any, at path: [CodingKey]) throws -> T? {
        let isNumber = type is any BinaryInteger.Type || type == Double.self || type == Float.self
        guard isNumber || type == String.self || type == Bool.self else { return nil }
        if value is NSNull { throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "null")) }
        let number = value as? NSNumber
        if type == String.self, let text = value as? String { return text as? T }
        if type == Bool.self, let number, isBoolean(number) { return number.boolValue as? T }
        // The checkpoint writes non-finite floats as strings.
        if let text = value as? String, type == Double.self || type == Float.self, let special = ["inf": Double.infinity, "-inf": -.infinity, "nan": .nan][text] {
            return (type == Float.self ? Float(special) as Any : special as Any) as? T
        }
        guard isNumber, let number, !isBoolean(number) else {
            throw DecodingError.typeMismatch(type, .init(codingPath: path, debugDescription: "another kind of value"))
        }
        let text = number.stringValue
        func outOfRange(_ range: String) -> DecodingError {
            .dataCorrupted(.init(codingPath: path, debugDescription: "expected \(range), got \(text)"))
        }
        if let integer = type as? any FixedWidthInteger.Type {
            guard let whole = wholeNumber(integer, text) else { throw outOfRange("a whole number from \(integer.min) to \(integer.max)") }
            return whole as? T
        }
        if type == Float.self {
            guard let real = Float(text), real.isFinite else { throw outOfRange("a number within 32-bit floats (±3.4e38)") }
            return real as? T
        }
        guard let real = Double(text), real.isFinite else { throw outOfRange("a finite number") }
        return real as? T
    }

    /// `text` ("7", "7.0", "1e3") as an `I` when it is a whole number in I's range.
    private static func wholeNumber<I: FixedWidthInteger>(_ type: I.Type, _ text: String) -> I? {
        I(text) ?? Double(text).flatMap { I(exactly: $0) }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard let object = value as? [String: Any] else { throw mismatch([String: Any].self) }
        return KeyedDecodingContainer(Keyed<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard let array = value as? [Any] else { throw mismatch([Any].self) }
        return Unkeyed(array: array, codingPath: codingPath)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { Single(value: value, codingPath: codingPath) }

    private func mismatch(_ type: Any.Type) -> DecodingError {
        value is NSNull ? .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "null"))
            : .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "another kind of value"))
    }

    /// An array position, named as JSONDecoder names it.
    struct Index: CodingKey {
        let intValue: Int?
        var stringValue: String { "Index \(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let object: [String: Any]
        let codingPath: [CodingKey]
        var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }
        func decodeNil(forKey key: Key) throws -> Bool { try member(key) is NSNull }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try JSONTreeDecoder.decode(type, from: member(key), at: codingPath + [key])
        }
        func nestedContainer<Nested: CodingKey>(keyedBy type: Nested.Type, forKey key: Key) throws -> KeyedDecodingContainer<Nested> {
            try JSONTreeDecoder(value: member(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            try JSONTreeDecoder(value: member(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        func superDecoder() throws -> Decoder { JSONTreeDecoder(value: object, codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> Decoder {
            JSONTreeDecoder(value: object[key.stringValue] ?? NSNull(), codingPath: codingPath + [key])
        }

        private func member(_ key: Key) throws -> Any {
            guard let value = object[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
            }
            return value
        }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let array: [Any]
        let codingPath: [CodingKey]
        var currentIndex = 0
        var count: Int? { array.count }
        var isAtEnd: Bool { currentIndex >= array.count }

        mutating func decodeNil() throws -> Bool {
            guard try next() is NSNull else { return false }
            currentIndex += 1
            return true
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let value = try JSONTreeDecoder.decode(type, from: next(), at: codingPath + [Index(currentIndex)])
            currentIndex += 1
            return value
        }
        mutating func nestedContainer<Nested: CodingKey>(keyedBy type: Nested.Type) throws -> KeyedDecodingContainer<Nested> {
            let container = try JSONTreeDecoder(value: next(), codingPath: codingPath + [Index(currentIndex)]).container(keyedBy: type)
            currentIndex += 1
            return container
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
            let container = try JSONTreeDecoder(value: next(), codingPath: codingPath + [Index(currentIndex)]).unkeyedContainer()
            currentIndex += 1
            return container
        }
        mutating func superDecoder() throws -> Decoder {
            let decoder = JSONTreeDecoder(value: try next(), codingPath: codingPath + [Index(currentIndex)])
            currentIndex += 1
            return decoder
        }

        private func next() throws -> Any {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath + [Index(currentIndex)], debugDescription: "the array ends"))
            }
            return array[currentIndex]
        }
    }

    struct Single: SingleValueDecodingContainer {
        let value: Any
        let codingPath: [CodingKey]
        func decodeNil() -> Bool { value is NSNull }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONTreeDecoder.decode(type, from: value, at: codingPath) }
    }
}
