/** statfs f_type of the nsfs file system (include/uapi/linux/magic.h): a mounted namespace file. */
export const NSFS_MAGIC = 0x6e736673;
