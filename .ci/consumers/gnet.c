/* Install smoke test: an echo engine on an ephemeral port; a client thread sends
 * a message, checks the echo and stops the engine from outside the loops. */
#include <arpa/inet.h>
#include <gnet/gnet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int echoed;

static gn_action_t on_traffic(gn_conn_t *c)
{
    size_t n;
    const void *p = gn_conn_next(c, SIZE_MAX, &n);
    return p != NULL && gn_conn_write(c, p, n) == (ssize_t)n ? GN_NONE : GN_CLOSE;
}

static void *client(void *arg)
{
    gn_engine_t *eng = arg;
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    char buf[16] = {0};
    int lfd = gn_engine_dup(eng);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd >= 0 && getsockname(lfd, (struct sockaddr *)&sa, &len) == 0 &&
        connect(fd, (struct sockaddr *)&sa, len) == 0 && write(fd, "ping", 4) == 4 &&
        read(fd, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0)
        echoed = 1;
    close(fd);
    close(lfd);
    gn_engine_stop(eng);
    return NULL;
}

static pthread_t thread;

static gn_action_t on_boot(gn_engine_t *eng)
{
    return pthread_create(&thread, NULL, client, eng) == 0 ? GN_NONE : GN_SHUTDOWN;
}

int main(void)
{
    gn_handler_t h = {.on_boot = on_boot, .on_traffic = on_traffic};
    int rc = gn_run(&h, "tcp4://127.0.0.1:0", NULL);
    pthread_join(thread, NULL);
    if (rc != 0 || !echoed) {
        fprintf(stderr, "gnet: rc=%d (%s) echoed=%d\n", rc, gn_strerror(rc), echoed);
        return 1;
    }
    puts("gnet: ok");
    return 0;
}
