/* udev-none.c -- linked only into the static cross build (Makefile
 * CROSS): Debian ships libhwloc.a built against libudev, which has no
 * static library, and a static binary for Android could not use it
 * anyway. hwloc asks udev only for the names of OS devices and treats a
 * NULL udev_new() as "no udev", reading sysfs instead; so udev_new()
 * says that, and the other four are never reached.
 */
#include <stddef.h>

struct udev;
struct udev_device;

struct udev *udev_new(void);
struct udev *udev_unref(struct udev *u);
struct udev_device *udev_device_new_from_subsystem_sysname(struct udev *u,
                                                           const char *subsystem,
                                                           const char *sysname);
struct udev_device *udev_device_unref(struct udev_device *d);
const char *udev_device_get_property_value(struct udev_device *d, const char *key);

struct udev *udev_new(void)
{
    return NULL;
}

struct udev *udev_unref(struct udev *u)
{
    (void)u;
    return NULL;
}

struct udev_device *udev_device_new_from_subsystem_sysname(struct udev *u,
                                                           const char *subsystem,
                                                           const char *sysname)
{
    (void)u, (void)subsystem, (void)sysname;
    return NULL;
}

struct udev_device *udev_device_unref(struct udev_device *d)
{
    (void)d;
    return NULL;
}

const char *udev_device_get_property_value(struct udev_device *d, const char *key)
{
    (void)d, (void)key;
    return NULL;
}
