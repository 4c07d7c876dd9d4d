# gnet-logging: leveled logger with console, rotating file and user sinks.
LIBS += logging
logging_LDLIBS := -pthread
