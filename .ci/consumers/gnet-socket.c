/* Install smoke test: parse, listen, dial and accept over TCP loopback. */
#include <gnet/socket.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    gn_addr_t addr, bound;
    char text[128];
    if (gn_addr_parse("tcp4://127.0.0.1:0", &addr) != 0)
        return 1;
    int lfd = gn_socket_listen(&addr, NULL);
    if (lfd < 0 || gn_socket_local_addr(lfd, &bound) != 0)
        return 1;
    int cfd = gn_socket_dial(&bound, NULL);
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    if (cfd < 0 || poll(&pfd, 1, 5000) != 1)
        return 1;
    int afd = gn_socket_accept(lfd, NULL);
    if (afd < 0 || gn_addr_format(&bound, text, sizeof text) < 0)
        return 1;
    printf("gnet-socket: ok (%s)\n", text);
    close(afd);
    close(cfd);
    close(lfd);
    return 0;
}
