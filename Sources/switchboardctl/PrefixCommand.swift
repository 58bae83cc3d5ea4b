import AMQP
import ArgumentParser
import SwitchboardCore

struct PrefixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prefix", abstract: "The binding of a prefix to one database.", subcommands: [Release.self])

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unbind the prefix from its database, so that an instance on another one may claim it.",
            discussion: """
                For when the database a prefix belongs to is gone for good. Stop every instance on the
                prefix first: this refuses while one is active. The next instance to start binds the
                prefix to its own database.
                """)
        @OptionGroup var options: GlobalOptions

        func run() throws {
            try options.needsBroker("prefix release")
            let topology = Topology(prefix: options.prefix)
            do {
                let connection = try AMQPConnection.open(to: options.brokers)
                defer { connection.close() }
                try connection.openChannel()
                // The lock queue exists while an instance is active: 404 means nobody holds it.
                var active = true
                do {
                    try connection.declareQueue(topology.activeLock, passive: true)
                } catch {
                    guard case let .channelClosed(code, _, _) = error else { throw error }
                    active = code != 404
                }
                if active {
                    throw CLIFailure(message: "error: an instance is active on prefix '\(options.prefix)'; stop every instance first", status: 1)
                }
                try connection.openChannel()
                try connection.deleteExchange(topology.owner)
            } catch let error as AMQPError {
                throw CLIFailure.unreachable(options, error)
            }
            print(options.json ? #"{"released":"\#(options.prefix)"}"# : "released: prefix '\(options.prefix)' is bound to no database now")
        }
    }
}
