# gnet-socket: address parsing, listen/dial/accept, socket options (libc only).
LIBS += socket
socket_LDLIBS :=
