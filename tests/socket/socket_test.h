/* Shared declarations for the gnet-socket Check suite (one binary). */
#ifndef GN_SOCKET_TEST_H
#define GN_SOCKET_TEST_H

#include <gnet/socket.h>

#include "gn_test.h"

TCase *gn_socket_addr_tcase(void);
TCase *gn_socket_sock_tcase(void);
TCase *gn_socket_opts_tcase(void);

/* Polls fd for events (POLLIN/POLLOUT) up to ms milliseconds; true when ready. */
int gn_tst_wait(int fd, short events, int ms);

/* Parses url or fails the test. */
gn_addr_t gn_tst_addr(const char *url);

/* Port of a bound inet socket, read back with gn_socket_local_addr. */
unsigned gn_tst_port(int fd);

/* Address url with its port replaced by port ("tcp4://127.0.0.1:%u"). */
gn_addr_t gn_tst_addr_port(const char *fmt, unsigned port);

/* gn_socket_listen on a parsed url; returns what it returns. */
int gn_tst_listen(const char *url, const gn_socket_options_t *opts);

#endif
