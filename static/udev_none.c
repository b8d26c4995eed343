/* udev_none.c -- "no udev" for the static build (Makefile, STATIC=1).
 *
 * Debian 12 ships libhwloc.a but no libudev.a, and libhwloc.a's Linux
 * backend refers to five libudev functions. hwloc calls udev_new() once
 * and, given NULL (as on a system without udev, such as Android), never
 * calls the others: it then reads a block device's vendor, model and
 * serial from /run/udev/data instead (hwloc/topology-linux.c, "if
 * (data->udev)"). lanky loads no I/O objects, so nothing it uses is
 * lost. Only the static build links this file.
 */
#include <stddef.h>

struct udev;
struct udev_device;

struct udev *udev_new(void);
struct udev *udev_unref(struct udev *u);
struct udev_device *udev_device_new_from_subsystem_sysname(struct udev *u, const char *subsystem,
                                                           const char *sysname);
const char *udev_device_get_property_value(struct udev_device *d, const char *key);
struct udev_device *udev_device_unref(struct udev_device *d);

struct udev *udev_new(void)
{
    return NULL;
}

/* The rest are never reached with a NULL context; each answers "none". */
struct udev *udev_unref(struct udev *u)
{
    (void)u;
    return NULL;
}

struct udev_device *udev_device_new_from_subsystem_sysname(struct udev *u, const char *subsystem,
                                                           const char *sysname)
{
    (void)u, (void)subsystem, (void)sysname;
    return NULL;
}

const char *udev_device_get_property_value(struct udev_device *d, const char *key)
{
    (void)d, (void)key;
    return NULL;
}

struct udev_device *udev_device_unref(struct udev_device *d)
{
    (void)d;
    return NULL;
}
