# gnet: the engine (reactors, connections, load balancing, ticker) composed of
# the gnet-c libraries.
LIBS += engine
engine_DIR := engine
engine_NAME := gnet
engine_REQUIRES := netpoll queue buffer pool socket logging
engine_LDLIBS := -pthread
engine_TEST_LDLIBS := -pthread
