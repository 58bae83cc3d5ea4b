#ifndef CAMQPSHIMS_H
#define CAMQPSHIMS_H
#include <amqp.h>
#include <amqp_framing.h>
#include <sys/time.h>

/// Plain-password login with the client properties Switchboard relies on: a connection
/// name, and the capabilities `consumer_cancel_notify`, `authentication_failure_close`, `connection.blocked`,
/// `publisher_confirms` and `basic.nack` (without them the broker never tells a client that
/// its queue was deleted or that an alarm blocks publishing). Wraps the variadic
/// `amqp_login_with_properties`, which Swift cannot call.
amqp_rpc_reply_t sb_login(amqp_connection_state_t state, const char *vhost, int channel_max,
                          int frame_max, int heartbeat, const char *user, const char *password,
                          const char *connection_name);

/// Sets a send timeout on the connection's socket, so that a write to a peer that stopped
/// reading fails instead of blocking forever (rabbitmq-c 0.11, upstream issue #780). Reads
/// need none: rabbitmq-c waits for frames with timeouts of its own, and heartbeats find a
/// silent peer.
int sb_set_send_timeout(amqp_connection_state_t state, int milliseconds);

#endif
