/// What the store needs of a database beside its SQL: transactions on the one writer
/// connection, reads, and each database's own upkeep. The business logic above it is the
/// same for both.
protocol StoreBackend: AnyObject {
    /// One transaction on the writer's connection: committed when `body` returns, rolled
    /// back when it throws.
    func transaction<T>(_ body: (any SQLDatabase) throws -> T) throws -> T
    /// Reads outside the writer's transaction.
    func read<T>(_ body: (any SQLDatabase) throws -> T) throws -> T
    /// Copies SQLite's write-ahead log into its file; nothing on PostgreSQL, whose server does its own.
    func checkpoint() throws
    /// Gives free pages back to the file system (SQLite); returns how many. PostgreSQL's autovacuum does this.
    func returnFreePages(step: Int) throws -> Int
    /// Called by the writer at least once a second, idle or not: on PostgreSQL it keeps the
    /// writer's session visibly alive, which is what tells a standby that the writer is not hung.
    func keepAlive() throws
}
