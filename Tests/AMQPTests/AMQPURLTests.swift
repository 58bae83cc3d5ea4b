import Testing
@testable import AMQP

@Suite struct AMQPURLTests {
    @Test func defaultsFillEverythingLeftOut() throws {
        let url = try AMQPURL(parsing: "amqp://")
        #expect(url == AMQPURL(tls: false, user: "guest", password: "guest", host: "127.0.0.1", port: 5672, vhost: "/"))
    }

    @Test func readsEveryPart() throws {
        let url = try AMQPURL(parsing: "amqps://ops:s%40cret@broker.local:5999/prod%2fsupport")
        #expect(url.tls)
        #expect(url.user == "ops")
        #expect(url.password == "s@cret")
        #expect(url.host == "broker.local")
        #expect(url.port == 5999)
        #expect(url.vhost == "prod/support")
    }

    @Test func percent2fIsTheDefaultVhost() throws {
        #expect(try AMQPURL(parsing: "amqp://guest:guest@127.0.0.1:5672/%2f").vhost == "/")
        #expect(try AMQPURL(parsing: "amqp://guest:guest@127.0.0.1:5672/%2F").vhost == "/")
        #expect(try AMQPURL(parsing: "amqp://h").vhost == "/")
    }

    @Test func tlsDefaultsToPort5671() throws {
        #expect(try AMQPURL(parsing: "amqps://h").port == 5671)
    }

    @Test func ipv6HostInBrackets() throws {
        let url = try AMQPURL(parsing: "amqp://[::1]:5673/")
        #expect(url.host == "::1")
        #expect(url.port == 5673)
        #expect(url.vhost == "")
    }

    @Test(arguments: ["http://h", "amqp://h:0", "amqp://h:99999", "amqp://h:port", "amqp://h/%zz"])
    func rejectsBadURLs(_ text: String) {
        #expect(throws: AMQPError.self) { try AMQPURL(parsing: text) }
    }

    @Test func unredactedRoundTripsEveryPart() throws {
        for text in ["amqps://ops:s%40cret@broker.local:5999/prod%2fsupport", "amqp://guest:guest@[::1]:5672/%2f"] {
            let url = try AMQPURL(parsing: text)
            #expect(try AMQPURL(parsing: url.unredacted) == url)
        }
    }

    @Test func descriptionHidesThePassword() throws {
        let url = try AMQPURL(parsing: "amqp://ops:hunter2@h:5672/v")
        #expect(!url.description.contains("hunter2"))
        #expect(url.description == "amqp://ops:***@h:5672/v")
        #expect(AMQPURL.redacting("amqp://ops:hunter2@h") == "amqp://ops:***@h")
    }
}

@Suite struct AMQPURLQueryTests {
    @Test func readsRabbitMQsTLSQueryParameters() throws {
        let url = try AMQPURL(parsing: "amqps://h/%2f?cacertfile=/etc/ca%20bundle.pem&certfile=/c.pem&keyfile=/c.key&verify=verify_none")
        #expect(url.caCertificateFile == "/etc/ca bundle.pem")
        #expect(url.certificateFile == "/c.pem")
        #expect(url.keyFile == "/c.key")
        #expect(!url.verifyPeer)
        #expect(url.vhost == "/")
        #expect(try AMQPURL(parsing: url.unredacted) == url)
        #expect(url.description.hasSuffix("?cacertfile=/etc/ca%20bundle.pem&certfile=/c.pem&keyfile=/c.key&verify=verify_none"))
    }

    @Test func verifiesPeersUnlessToldNot() throws {
        #expect(try AMQPURL(parsing: "amqps://h").verifyPeer)
        #expect(try AMQPURL(parsing: "amqps://h?verify=verify_peer").verifyPeer)
    }

    @Test(arguments: [
        ("amqps://h?heartbeat=5", "unknown query parameter \"heartbeat\""),
        ("amqp://h?cacertfile=/ca.pem", "needs an amqps:// URL"),
        ("amqps://h?verify=yes", "verify must be verify_peer or verify_none"),
        ("amqps://h?certfile=/c.pem", "certfile and keyfile go together"),
    ])
    func badQueriesSayWhatIsWrong(_ text: String, _ expected: String) {
        guard case let .invalidURL(_, reason)? = amqpError({ _ = try AMQPURL(parsing: text) }) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(reason.contains(expected), "reason was: \(reason)")
    }
}
