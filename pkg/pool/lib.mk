# gnet-pool: worker thread pool and byte pool. libc + pthreads only.
LIBS += pool
pool_LDLIBS := -pthread
# The benchmark compares against GLib's GThreadPool when GLib is installed.
ifneq ($(shell pkg-config --exists glib-2.0 && echo y),)
pool_BENCH_CFLAGS += -DHAVE_GLIB $(shell pkg-config --cflags glib-2.0)
pool_BENCH_LDLIBS += $(shell pkg-config --libs glib-2.0)
endif
