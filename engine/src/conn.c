/* Connections: the per-loop table with generation-checked handles, opening
 * and closing. Everything here runs on the connection's loop thread. */
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int conn_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata);

gn_conn_id_t gn__conn_make_id(int loop, uint32_t slot, uint32_t gen)
{
    return gn__id_make(loop, slot, gen);
}

/* Takes a free slot, growing the table (by doubling) when none is left.
 * Generations start at 1 so that no handle is 0. */
static int slot_take(gn__loop_t *l, uint32_t *out)
{
    if (l->free_head == UINT32_MAX) {
        uint32_t n = l->nslots == 0 ? 64 : l->nslots * 2;
        if (n > GN__MAX_SLOTS)
            n = GN__MAX_SLOTS;
        if (n == l->nslots)
            return -EMFILE;
        gn__slot_t *s = realloc(l->slots, n * sizeof *s);
        if (s == NULL)
            return -ENOMEM;
        for (uint32_t i = l->nslots; i < n; i++)
            s[i] =
                (gn__slot_t){.conn = NULL, .gen = 1, .next_free = i + 1 < n ? i + 1 : UINT32_MAX};
        l->slots = s;
        l->free_head = l->nslots;
        l->nslots = n;
    }
    *out = l->free_head;
    l->free_head = l->slots[*out].next_free;
    return 0;
}

/* Bumps the generation so every handle to the old tenant goes stale. */
static void slot_put(gn__loop_t *l, uint32_t i)
{
    gn__slot_t *s = &l->slots[i];
    s->conn = NULL;
    s->gen = s->gen == UINT32_MAX ? 1 : s->gen + 1;
    s->next_free = l->free_head;
    l->free_head = i;
}

/* The connection in slot whose generation is gen, whatever its state; NULL
 * when the slot is free or holds another tenant. */
gn_conn_t *gn__conn_at(gn__loop_t *l, uint32_t slot, uint32_t gen)
{
    if (slot >= l->nslots || l->slots[slot].gen != gen)
        return NULL;
    return l->slots[slot].conn;
}

gn_conn_t *gn__conn_lookup(gn__loop_t *l, gn_conn_id_t id)
{
    gn_conn_t *c = gn__conn_at(l, gn__id_slot(id), gn__id_gen(id));
    if (c == NULL || (c->flags & (GN__C_CLOSING | GN__C_CLOSED)) != 0)
        return NULL;
    return c;
}

/* Options on each accepted socket (set by the acceptor, which knows the
 * listener's address, before the connection opens): only the ones asked for (nodelay is on
 * by default for TCP), through gnet-socket, which skips what does not apply
 * to a unix socket. Failures are logged, not fatal. */
void gn__conn_apply_options(gn_engine_t *eng, int fd, const gn_addr_t *addr)
{
    const gn_options_t *o = &eng->o;
    gn_socket_options_t so = {
        .recv_buffer = o->socket_recv_buffer,
        .send_buffer = o->socket_send_buffer,
        .nodelay = o->tcp_nodelay != GN_NODELAY_OFF,
        .keepalive = o->tcp_keepalive_s > 0,
        .keepalive_idle_s = o->tcp_keepalive_s,
        .keepalive_intvl_s = o->tcp_keepalive_intvl_s,
        .keepalive_cnt = o->tcp_keepalive_cnt,
    };
    int rc = gn_socket_apply_options(fd, addr, &so);
    if (rc < 0)
        GN__LOG(eng, GN_LOG_WARN, "gnet: socket options on accepted fd %d: %s", fd,
                gn_strerror(rc));
}

/* Takes ownership of fd (closes it on failure), registers it, runs on_open. */
int gn__conn_open(gn__loop_t *l, int fd)
{
    gn_engine_t *eng = l->eng;
    gn_conn_t *c = calloc(1, sizeof *c);
    uint32_t slot = 0;
    int rc = c == NULL ? -ENOMEM : slot_take(l, &slot);
    if (rc == 0) {
        c->pa = (gn_poll_attachment_t){.fd = fd, .callback = conn_io, .udata = c};
        c->ctx = l->open_ctx; /* an enrolled fd's context (loop_api.c), else NULL */
        c->loop = l;
        c->slot = slot;
        c->gen = l->slots[slot].gen;
        rc = gn_poller_add_read(l->poller, &c->pa, false);
        if (rc < 0)
            slot_put(l, slot);
    }
    if (rc < 0) {
        GN__LOG(eng, GN_LOG_ERROR, "gnet: cannot open connection fd %d: %s", fd, gn_strerror(rc));
        free(c);
        close(fd);
        atomic_fetch_sub_explicit(&l->nconns, 1, memory_order_relaxed);
        return rc;
    }
    l->slots[slot].conn = c;
    gn__idle_open(c);
    if (eng->h.on_open != NULL)
        gn__apply_action(eng, c, eng->h.on_open(c));
    return 0;
}

/* Gives the slot and the memory back; the fd is already closed. */
void gn__conn_free(gn_conn_t *c)
{
    gn__loop_t *l = c->loop;
    gn__idle_close(c); /* its timer names c */
    gn_ringbuf_release(&c->in);
    gn__conn_out_release(c);
    slot_put(l, c->slot);
    atomic_fetch_sub_explicit(&l->nconns, 1, memory_order_relaxed);
    free(c);
}

static int conn_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    (void)fd;
    gn_conn_t *c = udata;
    gn__loop_t *l = c->loop;
    if ((c->flags & GN__C_DRAINING) != 0) {
        gn__conn_drain_io(c, ev, flags);
        return l->stopped ? GN_POLL_STOP : 0;
    }
    if (gn_is_write_event(ev))
        gn__conn_on_writable(c);
    if ((c->flags & GN__C_CLOSING) == 0 &&
        (gn_is_read_event(ev) || gn_is_error_event(ev, flags) || (ev & GN_IO_RDHUP) != 0)) {
        gn__idle_touch(c);
        if ((c->flags & GN__C_PAUSED) != 0)
            gn__conn_paused_event(c, ev, flags);
        else
            gn__conn_on_readable(c);
    }
    gn__loop_run_closes(l);
    return l->stopped ? GN_POLL_STOP : 0;
}

/* ---- public identity functions ---- */

gn_conn_id_t gn_conn_id(const gn_conn_t *c)
{
    return c == NULL ? GN_CONN_ID_NONE : gn__conn_make_id(c->loop->idx, c->slot, c->gen);
}

gn_engine_t *gn_conn_engine(const gn_conn_t *c)
{
    return c == NULL ? NULL : c->loop->eng;
}

int gn_conn_fd(const gn_conn_t *c)
{
    return c == NULL ? -EINVAL : c->pa.fd;
}

void *gn_conn_context(const gn_conn_t *c)
{
    return c == NULL ? NULL : c->ctx;
}

void gn_conn_set_context(gn_conn_t *c, void *ctx)
{
    if (c != NULL)
        c->ctx = ctx;
}

int gn_conn_peer_addr(const gn_conn_t *c, gn_addr_t *out)
{
    return c == NULL ? -EINVAL : gn_socket_peer_addr(c->pa.fd, out);
}

int gn_conn_local_addr(const gn_conn_t *c, gn_addr_t *out)
{
    return c == NULL ? -EINVAL : gn_socket_local_addr(c->pa.fd, out);
}

int gn_conn_close(gn_conn_t *c)
{
    if (c == NULL)
        return -EINVAL;
    if ((c->flags & (GN__C_CLOSING | GN__C_CLOSED)) != 0)
        return GN_ECLOSED;
    gn__conn_mark_close(c, 0);
    return 0;
}
