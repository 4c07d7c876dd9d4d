/* echo_libevent: the echo server on libevent 2.1, written as libevent is normally
 * used: an evconnlistener and one bufferevent per connection whose input buffer is
 * moved to its output buffer (evbuffer_add_buffer, no copy). Single reads and
 * writes are raised from 16 KiB to PEER_READ_MAX; reading stops while more than
 * PEER_QUEUE_MAX bytes wait in the output buffer; after EOF the output is flushed,
 * then the connection closed.
 *
 *   echo_libevent [-p PORT]
 *
 * Rules in peer.h. */
#include "peer.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

static void on_read(struct bufferevent *bev, void *arg)
{
    struct evbuffer *out = bufferevent_get_output(bev);
    if (evbuffer_add_buffer(out, bufferevent_get_input(bev)) < 0) {
        bufferevent_free(bev);
        return;
    }
    if (evbuffer_get_length(out) >= PEER_QUEUE_MAX) {
        bufferevent_disable(bev, EV_READ);
        bufferevent_setwatermark(bev, EV_WRITE, PEER_QUEUE_MAX / 2, 0);
    }
}

/* The output dropped to its low watermark (0 unless reading was stopped). */
static void on_write(struct bufferevent *bev, void *arg)
{
    if (arg != NULL) { /* EOF seen: close once everything is written */
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
            bufferevent_free(bev);
        return;
    }
    if (!(bufferevent_get_enabled(bev) & EV_READ)) {
        bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        bufferevent_enable(bev, EV_READ);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
        evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
        bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        bufferevent_setcb(bev, on_read, on_write, on_event, bev); /* arg marks the EOF */
        bufferevent_disable(bev, EV_READ);
        return;
    }
    bufferevent_free(bev); /* EOF with nothing queued, or an error */
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    struct event_base *base = evconnlistener_get_base(l);
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        evutil_closesocket(fd);
        return;
    }
    peer_nodelay(fd);
    bufferevent_set_max_single_read(bev, PEER_READ_MAX);
    bufferevent_set_max_single_write(bev, PEER_READ_MAX);
    bufferevent_setcb(bev, on_read, on_write, on_event, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int main(int argc, char **argv)
{
    peer_opts_t o;
    peer_parse(argc, argv, "echo_libevent", false, &o);
    peer_prepare();
    int fd = peer_listen(o.port);
    struct event_base *base = event_base_new();
    struct evconnlistener *l =
        base == NULL
            ? NULL
            : evconnlistener_new(base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE, PEER_BACKLOG, fd);
    if (l == NULL) {
        fprintf(stderr, "echo_libevent: cannot set up the event base or listener\n");
        return 1;
    }
    return event_base_dispatch(base) < 0;
}
