/// Values by a scratch store's request id. Its ids count up from 1, so an array is the map:
/// for a million requests 8 MB where a dictionary took about 40 (the replay's memory is
/// checked for a million recorded requests, switchboard-bench --only replay).
struct ByRequestId<Value: Equatable> {
    private var values: [Value] = []
    private let none: Value

    init(none: Value) { self.none = none }

    subscript(id: Int64) -> Value {
        get { id >= 0 && id < values.count ? values[Int(id)] : none }
        set {
            guard id >= 0 else { return }
            if id >= values.count { values.append(contentsOf: repeatElement(none, count: Int(id) - values.count + 1)) }
            values[Int(id)] = newValue
        }
    }

    /// Each id with a value, in id order.
    func forEach(_ body: (Int64, Value) -> Void) {
        for (id, value) in values.enumerated() where value != none { body(Int64(id), value) }
    }
}
