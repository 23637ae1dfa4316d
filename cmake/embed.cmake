# Turns file IN into a C source OUT defining NAME[] (NUL-terminated) and
# NAME_len; NAME defaults to halo_catalog_default (configs/models.conf).
if(NOT NAME)
  set(NAME halo_catalog_default)
endif()
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" body "${body}")
get_filename_component(src_name ${IN} NAME)
file(WRITE ${OUT} "/* generated from ${src_name} by cmake/embed.cmake */\n#include <stddef.h>\nconst char ${NAME}[] = {\n${body}0x00};\nconst size_t ${NAME}_len = sizeof(${NAME}) - 1;\n")
