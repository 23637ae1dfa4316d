# Turns file IN into a C source OUT defining halo_catalog_default[] (NUL-terminated)
# and halo_catalog_default_len.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" body "${body}")
file(WRITE ${OUT} "/* generated from configs/models.conf by cmake/embed.cmake */\n#include <stddef.h>\nconst char halo_catalog_default[] = {\n${body}0x00};\nconst size_t halo_catalog_default_len = sizeof(halo_catalog_default) - 1;\n")
