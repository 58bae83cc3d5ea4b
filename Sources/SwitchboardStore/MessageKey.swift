/// A command's message id as a 64-bit key (FNV-1a over its UTF-8 bytes), for the index
/// that finds a processed command's reply: eight bytes an entry instead of the id's 36, so
/// the index a random id lands in stays small. Not unique: lookups compare the id too.
/// Stable across processes and versions, unlike Swift's `Hasher`, because it is stored.
enum MessageKey {
    static func of(_ messageId: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in messageId.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}
