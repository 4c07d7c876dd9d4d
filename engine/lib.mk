# gnet: the engine (reactors, connections, load balancing, ticker) composed of
# the gnet-c libraries.
LIBS += engine
engine_DIR := engine
engine_NAME := gnet
engine_REQUIRES := codec netpoll queue buffer socket logging
# The echo matrix writes from gn_pool worker threads; the engine itself does not use it.
engine_TEST_REQUIRES := pool
engine_LDLIBS := -pthread
engine_TEST_LDLIBS := -pthread
