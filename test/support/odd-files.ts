/**
 * Files whose names and contents every listing and check must take as they are: a name OpenSSL
 * escapes (backslash, newline), quotes, a leading dash after a space, Chinese, an empty file, one
 * past the manifest script's 1 MiB line for hashing after the walk, and one in a subdirectory.
 */
export function oddFiles(): Record<string, string | Buffer> {
  return {
    "a.txt": "hello",
    empty: "",
    "big.bin": Buffer.alloc(2 * 1024 * 1024 + 3, 7),
    "back\\slash": "odd name: openssl escapes it",
    "new\nline": "odd name too",
    "公文 'quoted' -dash": "名字",
    "sub/deep.txt": "deep",
  };
}
