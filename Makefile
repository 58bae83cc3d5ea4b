# The two commands of the README: `make run` and `make test`. Both install what is missing
# and start a local RabbitMQ on 127.0.0.1 when none answers.
SWIFT ?= swift

.PHONY: run test build setup broker broker-stop bench bench-cluster bench-amqp bench-store compose-check screenshot

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
# 127.0.0.1:5433 (scripts/postgres). The store and service suites run again on PostgreSQL,
# one after the other: together, with a server's work beside every test, they kept the
# writer from an offer's deadline for 268 ms, past the 250 ms the offers test allows.
# The cluster tests and then the standby tests run last, each on their own: both stop nodes
# of the one cluster, one restarts the PostgreSQL server, and with every suite at once on
# two cores a quorum queue's leader election outlasted the 17.6 s that the service retries
# a refused event.
test: broker compose-check
	scripts/broker cluster start
	scripts/broker test-policy
	scripts/broker test-policy c1@localhost
	scripts/postgres start
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) scripts/test-run --skip ClusterTests
	SWITCHBOARD_TEST_STORE=postgres SWIFT=$(SWIFT) scripts/test-run --filter SwitchboardStoreTests
	SWITCHBOARD_TEST_STORE=postgres SWIFT=$(SWIFT) scripts/test-run --filter SwitchboardServiceTests --skip ClusterTests
	SWIFT=$(SWIFT) scripts/test-run --filter ClusterTests
	SWITCHBOARD_TEST_HA=1 SWIFT=$(SWIFT) scripts/test-run --filter StandbyTakeoverTests

broker-stop:
	scripts/broker stop

bench-amqp: broker
	scripts/amqp-bench

# The service against the broker's own ceiling, in the same run (see README, Benchmarks).
bench: broker
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
	$(SWIFT) run -c release store-bench

# No Docker engine here: check the compose file's syntax and references only.
compose-check: setup
	docker-compose config -q
	docker-compose --profile ha config -q

# The README's picture of the dashboard, taken by the browser test.
screenshot: broker
	$(SWIFT) build --build-tests
	SWITCHBOARD_SCREENSHOT=$(CURDIR)/docs/dashboard.png $(SWIFT) test --skip-build --filter DashboardBrowserTests
