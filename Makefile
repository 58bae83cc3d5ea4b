# The two commands of the README: `make run` and `make test`. Both install what is missing
# and start a local RabbitMQ on 127.0.0.1 when none answers.
SWIFT ?= swift

.PHONY: run test check build setup broker broker-stop bench bench-cluster bench-amqp bench-store compose-check screenshot

setup:
	scripts/setup

broker: setup
	scripts/broker start

build: setup
	$(SWIFT) build -c release --product switchboard
	$(SWIFT) build -c release --product switchboardctl

run: broker build
	.build/release/switchboard

# ClusterTests, which stop and restart brokers, do it on a three-node loopback cluster beside
# the shared broker (scripts/broker cluster). The PostgreSQL tests use a local server on
# 127.0.0.1:5433 (scripts/postgres). scripts/test-all runs the passes in order and prints
# the time of each.
test: broker compose-check
	scripts/broker cluster start
	scripts/broker test-policy
	scripts/broker test-policy c1@localhost
	scripts/postgres start
	scripts/postgres test-settings
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) scripts/test-all

# The edit-compile loop: the tests that need no broker and no database server (the pure
# core, the writer's decisions, the documentation, start-up errors, the store on SQLite)
# and the contract files.
check: setup
	$(SWIFT) build --build-tests
	scripts/check-contracts
	SWIFT=$(SWIFT) scripts/test-run --filter 'SwitchboardCoreTests|SwitchboardServiceUnitTests|SwitchboardStoreTests'

broker-stop:
	scripts/broker stop

bench-amqp: broker
	scripts/amqp-bench

# The service against the broker's own ceiling, in the same run (docs/benchmarks.md).
bench: broker
	scripts/postgres durable-settings
	$(SWIFT) build -c release --product switchboard
	$(SWIFT) build -c release --product switchboard-bench
	.build/release/switchboard-bench --json .build/bench.json

# The same share of the ceiling on the three-node cluster as on one node, in one run.
bench-cluster: broker
	scripts/broker cluster start
	$(SWIFT) build -c release --product switchboard
	$(SWIFT) build -c release --product switchboard-bench
	.build/release/switchboard-bench --only cluster

bench-store: setup
	scripts/postgres start
	scripts/postgres durable-settings
	$(SWIFT) run -c release store-bench

# No Docker engine here: check the compose file's syntax and references only.
compose-check: setup
	docker-compose config -q
	docker-compose --profile ha config -q

# The README's pictures, the dashboard and a replay's report, taken by the browser tests.
screenshot: broker
	$(SWIFT) build --build-tests
	SWITCHBOARD_SCREENSHOT=$(CURDIR)/docs/dashboard.png $(SWIFT) test --skip-build --filter DashboardBrowserTests
	SWITCHBOARD_REPLAY_SCREENSHOT=$(CURDIR)/docs/replay.png $(SWIFT) test --skip-build --filter ReplayPageBrowserTests
