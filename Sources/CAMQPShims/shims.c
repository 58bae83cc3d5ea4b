#include "CAMQPShims.h"
#include <sys/socket.h>

static amqp_table_entry_t bool_entry(const char *key, int value) {
    amqp_table_entry_t entry;
    entry.key = amqp_cstring_bytes(key);
    entry.value.kind = AMQP_FIELD_KIND_BOOLEAN;
    entry.value.value.boolean = value;
    return entry;
}

amqp_rpc_reply_t sb_login(amqp_connection_state_t state, const char *vhost, int channel_max,
                          int frame_max, int heartbeat, const char *user, const char *password,
                          const char *connection_name) {
    amqp_table_entry_t capabilities[5] = {
        bool_entry("consumer_cancel_notify", 1),
        bool_entry("authentication_failure_close", 1),
        bool_entry("connection.blocked", 1),
        bool_entry("publisher_confirms", 1),
        bool_entry("basic.nack", 1),
    };
    amqp_table_entry_t properties[2];
    properties[0].key = amqp_cstring_bytes("capabilities");
    properties[0].value.kind = AMQP_FIELD_KIND_TABLE;
    properties[0].value.value.table.num_entries = 5;
    properties[0].value.value.table.entries = capabilities;
    properties[1].key = amqp_cstring_bytes("connection_name");
    properties[1].value.kind = AMQP_FIELD_KIND_UTF8;
    properties[1].value.value.bytes = amqp_cstring_bytes(connection_name);
    amqp_table_t table = {.num_entries = 2, .entries = properties};
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, &table,
                                      AMQP_SASL_METHOD_PLAIN, user, password);
}

int sb_set_send_timeout(amqp_connection_state_t state, int milliseconds) {
    int fd = amqp_get_sockfd(state);
    if (fd < 0) return -1;
    struct timeval tv = {.tv_sec = milliseconds / 1000, .tv_usec = (milliseconds % 1000) * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) return -1;
    return 0;
}
