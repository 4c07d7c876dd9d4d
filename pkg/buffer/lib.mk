# gnet-buffer: ring buffer, linked-list buffer and elastic mixed buffer (libc only).
LIBS += buffer
buffer_LDLIBS :=
buffer_TEST_LDLIBS := -pthread

# The benchmark compares against libevent's evbuffer when libevent is installed.
ifneq ($(shell pkg-config --exists libevent && echo y),)
buffer_BENCH_CFLAGS += -DHAVE_LIBEVENT $(shell pkg-config --cflags libevent)
buffer_BENCH_LDLIBS += $(shell pkg-config --libs libevent)
endif
