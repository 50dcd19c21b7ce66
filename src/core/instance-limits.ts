// Limits Cloud Controller names in VCAP_APPLICATION that taskd has no setting for.

/** Open files an instance may hold: CF's default `instance_file_descriptor_limit`. */
export const FILE_DESCRIPTOR_LIMIT = 16384;
