/// A per-step series in bounded memory: recent points are kept one per step; when the series
/// outgrows its capacity, neighbouring buckets merge (keeping min, mean and max), so a week-long
/// run costs no more than a short one while its shape and extremes stay visible.
///
/// ```swift
/// var loss = Series(capacity: 1024)
/// loss.append(step: 1, value: 0.93)
/// ```
public struct Series: Sendable, Equatable {
    public struct Bucket: Sendable, Equatable {
        public var firstStep: Int
        public var lastStep: Int
        public var minimum: Float
        public var maximum: Float
        public var sum: Double
        public var count: Int
        public var mean: Float { Float(sum / Double(count)) }
    }

    public private(set) var buckets: [Bucket] = []
    /// Steps per bucket; doubles each time the series is compacted.
    public private(set) var stepsPerBucket = 1
    public let capacity: Int

    public init(capacity: Int = 1024) {
        precondition(capacity >= 4 && capacity % 2 == 0)
        self.capacity = capacity
        buckets.reserveCapacity(capacity)
    }

    public var isEmpty: Bool { buckets.isEmpty }

    public mutating func append(step: Int, value: Float) {
        if var bucket = buckets.last, bucket.count < stepsPerBucket {
            bucket.lastStep = step
            bucket.minimum = min(bucket.minimum, value)
            bucket.maximum = max(bucket.maximum, value)
            bucket.sum += Double(value)
            bucket.count += 1
            buckets[buckets.count - 1] = bucket
            return
        }
        if buckets.count == capacity { compact() }
        buckets.append(Bucket(firstStep: step, lastStep: step, minimum: value, maximum: value, sum: Double(value), count: 1))
    }

    private mutating func compact() {
        var merged: [Bucket] = []
        merged.reserveCapacity(capacity)
        var i = 0
        while i + 1 < buckets.count {
            let a = buckets[i], b = buckets[i + 1]
            merged.append(Bucket(firstStep: a.firstStep, lastStep: b.lastStep, minimum: min(a.minimum, b.minimum),
                                 maximum: max(a.maximum, b.maximum), sum: a.sum + b.sum, count: a.count + b.count))
            i += 2
        }
        if i < buckets.count { merged.append(buckets[i]) }
        buckets = merged
        stepsPerBucket *= 2
    }
}
