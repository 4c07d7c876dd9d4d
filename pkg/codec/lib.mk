# gnet-codec: line, delimiter, fixed-length and length-field frame codecs over
# plain memory and the gnet-buffer types.
LIBS += codec
codec_REQUIRES := buffer
codec_LDLIBS :=
