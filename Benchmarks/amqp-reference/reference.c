/* The amqp-bench workload written straight against rabbitmq-c, as its own examples
 * (amqp_producer, amqp_consumer) do, plus publisher confirms: the reference the Swift
 * layer is measured against. Prints "<publish msg/s> <consume msg/s>".
 *   reference COUNT WINDOW QUEUE_TYPE        (broker: 127.0.0.1:5672, guest/guest) */
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die_on(amqp_rpc_reply_t reply, const char *what) {
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) { fprintf(stderr, "%s failed\n", what); exit(1); }
}

static amqp_connection_state_t open_connection(void) {
    amqp_connection_state_t conn = amqp_new_connection();
    amqp_socket_t *socket = amqp_tcp_socket_new(conn);
    if (amqp_socket_open(socket, "127.0.0.1", 5672)) { fprintf(stderr, "connect failed\n"); exit(1); }
    die_on(amqp_login(conn, "/", 0, 131072, 30, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
    amqp_channel_open(conn, 1);
    die_on(amqp_get_rpc_reply(conn), "channel.open");
    return conn;
}

/* Reads frames until every message published so far is acked. */
static uint64_t confirmed = 0;
static void wait_confirms(amqp_connection_state_t conn, uint64_t last) {
    while (confirmed < last) {
        amqp_frame_t frame;
        if (amqp_simple_wait_frame(conn, &frame) != AMQP_STATUS_OK) { fprintf(stderr, "wait failed\n"); exit(1); }
        if (frame.frame_type == AMQP_FRAME_METHOD && frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            amqp_basic_ack_t *ack = frame.payload.method.decoded;
            confirmed = ack->multiple ? ack->delivery_tag : (ack->delivery_tag > confirmed ? ack->delivery_tag : confirmed);
        }
    }
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 50000, window = argc > 2 ? atoi(argv[2]) : 500;
    const char *type = argc > 3 ? argv[3] : "classic";
    char queue[64];
    snprintf(queue, sizeof queue, "amqp-bench.c.%s.%ld", type, (long)time(NULL));
    char body[200];
    memset(body, 'x', sizeof body);

    amqp_connection_state_t conn = open_connection();
    amqp_table_entry_t entry = {.key = amqp_cstring_bytes("x-queue-type"),
                                .value = {.kind = AMQP_FIELD_KIND_UTF8, .value.bytes = amqp_cstring_bytes(type)}};
    amqp_table_t args = {.num_entries = 1, .entries = &entry};
    amqp_queue_declare(conn, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, args);
    die_on(amqp_get_rpc_reply(conn), "queue.declare");
    amqp_confirm_select(conn, 1);
    die_on(amqp_get_rpc_reply(conn), "confirm.select");

    amqp_basic_properties_t props = {._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG,
                                     .content_type = amqp_cstring_bytes("application/octet-stream"), .delivery_mode = 2};
    amqp_bytes_t payload = {.len = sizeof body, .bytes = body};
    double start = now();
    for (int i = 0; i < count; i++) {
        amqp_basic_publish(conn, 1, amqp_empty_bytes, amqp_cstring_bytes(queue), 0, 0, &props, payload);
        if (i % window == window - 1) wait_confirms(conn, (uint64_t)i + 1);
    }
    wait_confirms(conn, (uint64_t)count);
    double publish = count / (now() - start);

    amqp_connection_state_t consumer = open_connection();
    amqp_basic_qos(consumer, 1, 0, 1000, 0);
    amqp_basic_consume(consumer, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
    die_on(amqp_get_rpc_reply(consumer), "basic.consume");
    start = now();
    for (int received = 1; received <= count; received++) {
        amqp_envelope_t envelope;
        amqp_maybe_release_buffers(consumer);
        die_on(amqp_consume_message(consumer, &envelope, NULL, 0), "consume");
        if (received % 100 == 0 || received == count) amqp_basic_ack(consumer, 1, envelope.delivery_tag, 1);
        amqp_destroy_envelope(&envelope);
    }
    double consume = count / (now() - start);
    amqp_queue_delete(conn, 1, amqp_cstring_bytes(queue), 0, 0);
    printf("%.0f %.0f\n", publish, consume);
    amqp_destroy_connection(consumer);
    amqp_destroy_connection(conn);
    return 0;
}
