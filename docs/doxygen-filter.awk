# Doxygen input filter: the headers use plain C comments, one per declaration
# (see DESIGN.md); this turns them into Doxygen comments as they are read, so the
# sources keep one style and the reference is generated from exactly that text.
#   - the file's first comment documents the file (@file is added at its end);
#   - a comment that starts a line documents what follows it (/* -> /**), except
#     section rules such as "/* ---- pointer queue ---- */";
#   - a comment after code on the same line documents that code (/* -> /**<);
#   - a comment over several declarations or fields in a row (no blank line or
#     comment between them, e.g. gn_poller_add_read/_write/_read_write) documents
#     each of them (a Doxygen member group, with DISTRIBUTE_GROUP_DOC);
#   - <word> in a comment is text, not an HTML tag.
# Line numbers are kept, so Doxygen's warnings point at the real lines.
{ L[++n] = $0 }

# A declaration at file level, or a struct field ("    int x;", "    void (*f)(int);").
function is_decl(s) {
    return s ~ /^(GN_EXPORT |#define |typedef )/ || s ~ /^[ \t]+[A-Za-z_][A-Za-z0-9_ \t*(),]*;/
}

END {
    first_done = 0; seen_code = 0; i = 1
    while (i <= n) {
        line = L[i]
        # The file comment.
        if (!first_done && !seen_code && line ~ /^\/\*/) {
            sub(/^\/\*/, "/**", L[i])
            while (i <= n && L[i] !~ /\*\//) { esc(i); i++ }
            esc(i)
            sub(/\*\/[ \t]*$/, "@file */", L[i])
            first_done = 1; i++
            continue
        }
        if (line ~ /^[ \t]*\/\*[ \t]*-+/) { i++; continue }
        if (line ~ /^[ \t]*\/\*([^*]|$)/) {
            start = i
            sub(/\/\*/, "/**", L[i])
            while (i <= n && L[i] !~ /\*\//) { esc(i); i++ }
            esc(i)
            group(start, i)
            i++
            continue
        }
        if (line ~ /[^ \t].*[ \t]\/\*([^*]|$)/ && line !~ /^[ \t]*\*/) {
            sub(/[ \t]\/\*/, " /**<", L[i])
            esc(i)
        }
        if (line ~ /[^ \t]/ && line !~ /^[ \t]*(\/\*|\*)/) seen_code = 1
        i++
    }
    for (i = 1; i <= n; i++) print PRE[i] L[i]
}

# Doc comment on lines s..e: if the declarations after it (up to a blank line)
# are more than one, make them a member group that shares the comment.
function group(s, e,    j, decls) {
    decls = 0
    # The block ends at a blank line, a line with a comment of its own or a "}".
    for (j = e + 1; j <= n && L[j] ~ /[^ \t]/ && L[j] !~ /\/\*|^[ \t]*}/; j++) {
        if (L[j] ~ /[{}]/) return # a struct, enum or inline function: one entity
        if (is_decl(L[j])) decls++
    }
    if (decls < 2) return
    L[s] = "/**@{*/ " L[s]
    if (j > n) L[n] = L[n] " /**@}*/"
    else if (L[j] !~ /[^ \t]/) L[j] = "/**@}*/"
    else PRE[j] = "/**@}*/ " # in front of the next comment, when printed
}

# <word> would be read as an HTML tag.
function esc(k) {
    while (match(L[k], /<[a-z_]+>/))
        L[k] = substr(L[k], 1, RSTART - 1) "\\<" substr(L[k], RSTART + 1, RLENGTH - 2) "\\>" \
            substr(L[k], RSTART + RLENGTH)
}
