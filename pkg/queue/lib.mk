# gnet-queue: lock-free Michael-Scott MPMC queue with hazard-pointer reclamation.
LIBS += queue
queue_LDLIBS := -pthread

# Benchmark peers: Concurrency Kit's ck_fifo_mpmc and ck_hp_fifo, when installed.
ifneq ($(shell $(PKG_CONFIG) --exists ck && echo y),)
queue_BENCH_CFLAGS := -DHAVE_CK $(shell $(PKG_CONFIG) --cflags ck)
queue_BENCH_LDLIBS := $(shell $(PKG_CONFIG) --libs ck)
else ifneq ($(wildcard /usr/include/ck_fifo.h),)
queue_BENCH_CFLAGS := -DHAVE_CK
queue_BENCH_LDLIBS := -lck
endif
