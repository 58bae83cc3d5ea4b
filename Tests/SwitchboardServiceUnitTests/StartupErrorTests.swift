import BrokerTestSupport
import Foundation
import Testing

/// What a person sees when the service cannot start as configured: what failed, where, the
/// variable that sets it and a way on, and status 78 (EX_CONFIG) so a supervisor can tell a
/// setting to change from a crash. None of these needs a broker.
@Suite struct StartupErrorTests {
    static let configurationStatus: Int32 = 78

    func database() -> String { ScratchFolder.make("startup-db").appendingPathComponent("switchboard.sqlite").path }

    @Test func aBadValueNamesTheVariableAndExitsAsASettingToChange() throws {
        let service = try SwitchboardProcess.with(environment: ["SWITCHBOARD_BATCH_SIZE": "lots", "SWITCHBOARD_DB": database()])
        #expect(service.waitForExit(timeout: .seconds(20)) == Self.configurationStatus)
        #expect(service.exitMessage == #"switchboard: SWITCHBOARD_BATCH_SIZE must be an integer from 1 to 10000, got "lots" — set SWITCHBOARD_BATCH_SIZE to such a value, or unset it for the default (256); switchboard --help lists every variable"#)
    }

    @Test func aTakenHTTPPortSaysWhichAddressAndHowToChooseAnother() throws {
        let port = RawHTTP.listenPort()
        let holder = try RawHTTP.holdListening(port)
        defer { close(holder) }
        // No broker answers on port 1: the HTTP side fails first, and ends the process.
        let service = try SwitchboardProcess.with(environment: [
            "SWITCHBOARD_HTTP": "127.0.0.1:\(port)", "SWITCHBOARD_DB": database(), "SWITCHBOARD_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/%2f",
        ])
        #expect(service.waitForExit(timeout: .seconds(20)) == Self.configurationStatus, "\(service.output)")
        #expect(service.exitMessage == "switchboard: cannot listen on 127.0.0.1:\(port) (SWITCHBOARD_HTTP): address already in use — set SWITCHBOARD_HTTP to another address, or off")
    }

    @Test func aDatabasePathThatIsAFolderNamesTheVariableAndAFileToUse() throws {
        let folder = ScratchFolder.make("db-folder").path
        let service = try SwitchboardProcess.with(environment: ["SWITCHBOARD_DB": folder, "SWITCHBOARD_HTTP": "off"])
        #expect(service.waitForExit(timeout: .seconds(20)) == Self.configurationStatus, "\(service.output)")
        #expect(service.exitMessage == "switchboard: cannot open the database \(folder) (SWITCHBOARD_DB): it is a folder — set SWITCHBOARD_DB to a file path, such as \(folder)/switchboard.sqlite")
    }

    @Test func anUnreachableBrokerIsRetriedWhileReadinessNamesItsAddressAndVariable() throws {
        let port = RawHTTP.listenPort()
        let service = try SwitchboardProcess.with(environment: [
            "SWITCHBOARD_HTTP": "127.0.0.1:\(port)", "SWITCHBOARD_DB": database(), "SWITCHBOARD_AMQP_URL": "amqp://guest:secret@127.0.0.1:1/%2f",
        ])
        let unready = try eventually(within: .seconds(20), "/readyz names the broker") { seen -> RawHTTP.Answer? in
            let answer = try RawHTTP(port: port).get("/readyz")
            seen = "\(answer.status) \(answer.body)"
            return answer.body.contains("SWITCHBOARD_AMQP_URL") ? answer : nil
        }
        #expect(unready.status == 503)
        #expect(unready.body.contains("broker not connected"))
        #expect(unready.body.contains("127.0.0.1:1"))
        #expect(!unready.body.contains("secret"), "the password stays hidden")
        #expect(service.process.isRunning, "a broker that is down is waited for, not a reason to exit")
        #expect(service.terminate(timeout: .seconds(10)) == 0)
    }

    @Test func helpListsEveryVariableTheServiceReads() throws {
        let help = try SwitchboardProcess.with(arguments: ["--help"], environment: [:])
        #expect(help.waitForExit(timeout: .seconds(20)) == 0)
        for variable in SwitchboardServiceVariables.all {
            #expect(help.output.contains("\(variable)="), "\(variable) in switchboard --help")
        }
    }
}
