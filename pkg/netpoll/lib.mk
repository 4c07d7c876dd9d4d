# gnet-netpoll: epoll/kqueue poller with attachment callbacks and a task trigger.
LIBS += netpoll
netpoll_REQUIRES := queue
netpoll_LDLIBS := -pthread
netpoll_TEST_LDLIBS := -pthread

# The benchmark compares the task trigger with uv_async_send + a mutex queue
# when libuv is installed.
ifneq ($(shell pkg-config --exists libuv && echo y),)
netpoll_BENCH_CFLAGS += -DHAVE_LIBUV $(shell pkg-config --cflags libuv)
netpoll_BENCH_LDLIBS += $(shell pkg-config --libs libuv)
endif
