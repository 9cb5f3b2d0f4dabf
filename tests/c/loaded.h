/* Shared by the differential C programs: proves which libvirt.so.0 the
 * program mapped.  The runners set EXPECT_LIBVIRT_DIR to the directory the
 * library must come from. */
#ifndef TESTS_C_LOADED_H
#define TESTS_C_LOADED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_loaded_library(void)
{
    const char *want = getenv("EXPECT_LIBVIRT_DIR");
    char line[4096];
    FILE *maps;
    int found = 0;
    if (!want)
        return 0;
    maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return -1;
    while (fgets(line, sizeof(line), maps)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, "/libvirt.so")) {
            if (strncmp(path, want, strlen(want)) != 0) {
                fprintf(stderr, "wrong libvirt mapped: %s", path);
                fclose(maps);
                return -1;
            }
            found = 1;
        }
    }
    fclose(maps);
    return found ? 0 : -1;
}

#endif
