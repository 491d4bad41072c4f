/* The agent's answer encoder for a list of events, in C (see events.py, _Encoder.events).
 *
 * events(events, ev_type, cache, encode) -> str | None
 *
 * Writes a list of ``ev_type`` instances (events.Ev: ts and dur in microseconds as ints, id an
 * int or None, data a JSON object) exactly as the pure-Python encoder does:
 *
 *   [{"id": 1, "timestamp": "2026-12-05T09:00:00.250000+00:00", "duration": 1.5, "data": {...}}, ...]
 *
 * ``cache`` maps id(data) to (data, text) and ``encode(data)`` gives a text on a miss (the data
 * texts stay json.dumps's, ASCII). Anything this code does not write itself (an item of another
 * type, a non-int field, a year outside 1..9999, an id beyond 64 bits, a non-ASCII text) makes it
 * return None, and the caller writes the list in Python (which raises where Python would).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <string.h>

#define US 1000000LL
#define DAY_S 86400LL

/* Where ev_type keeps each field (member descriptors of its slots), found on each call: a
 * getattr per type and field is nothing next to thousands of events. */
typedef struct {
    Py_ssize_t ts, dur, data, id;
} Offsets;

static int
member_offset(PyObject *type, const char *name, Py_ssize_t *offset)
{
    PyObject *descr = PyObject_GetAttrString(type, name);
    if (descr == NULL) {
        PyErr_Clear();
        return 0;
    }
    int ok = 0;
    if (Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        /* A slot of this type's own layout (not another class's descriptor set on it), within
         * its instances, and writable (merge_by_data and relabel write it). */
        PyTypeObject *owner = ((PyDescrObject *)descr)->d_type;
        if ((member->type == T_OBJECT_EX || member->type == T_OBJECT) &&
            !(member->flags & (PY_AUDIT_READ | READONLY)) && PyType_Check(type) &&
            PyType_IsSubtype((PyTypeObject *)type, owner) && member->offset > 0 &&
            member->offset + (Py_ssize_t)sizeof(PyObject *) <= owner->tp_basicsize) {
            *offset = member->offset;
            ok = 1;
        }
    }
    Py_DECREF(descr);
    return ok;
}

/* The output: an ASCII str or a bytes object written in place, grown by PyUnicode_Resize or
 * _PyBytes_Resize (a fresh object with one reference) and cut to its length at the end, so the
 * answer is not copied once more. */
typedef struct {
    PyObject *obj;
    char *buf;
    Py_ssize_t len, cap;
    int bytes; /* 1: a bytes object, 0: an ASCII str */
} Out;

static int
out_reserve(Out *out, Py_ssize_t extra)
{
    if (out->len + extra <= out->cap) {
        return 0;
    }
    Py_ssize_t cap = out->cap * 2;
    if (cap < out->len + extra) {
        cap = out->len + extra;
    }
    if (out->obj == NULL) {
        out->obj = out->bytes ? PyBytes_FromStringAndSize(NULL, cap) : PyUnicode_New(cap, 127);
    }
    else if (out->bytes) {
        /* On failure the bytes object is freed and obj set to NULL. */
        (void)_PyBytes_Resize(&out->obj, cap);
    }
    else if (PyUnicode_Resize(&out->obj, cap) < 0) {
        /* On failure the str is unchanged and still ours. */
        Py_CLEAR(out->obj);
    }
    if (out->obj == NULL) {
        return -1;
    }
    out->buf = out->bytes ? PyBytes_AS_STRING(out->obj) : (char *)PyUnicode_1BYTE_DATA(out->obj);
    out->cap = cap;
    return 0;
}

/* The object written, cut to its length (the reference passes to the caller), or NULL. */
static PyObject *
out_finish(Out *out)
{
    if (out->len < out->cap) {
        if (out->bytes) {
            (void)_PyBytes_Resize(&out->obj, out->len); /* NULL (and freed) on failure */
        }
        else if (PyUnicode_Resize(&out->obj, out->len) < 0) {
            Py_CLEAR(out->obj); /* unchanged on failure, and still ours */
        }
    }
    PyObject *obj = out->obj;
    out->obj = NULL;
    return obj;
}

static inline void
put(Out *out, const char *text, Py_ssize_t n)
{
    memcpy(out->buf + out->len, text, (size_t)n);
    out->len += n;
}

/* Decimal digits of an unsigned value, right-aligned into end[-k..-1]; returns k. */
static inline int
udigits(unsigned long long value, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    return (int)(end - p);
}

static inline void
two(char *p, int value)
{
    p[0] = (char)('0' + value / 10);
    p[1] = (char)('0' + value % 10);
}

/* Days since 1970-01-01 → proleptic Gregorian year, month, day (H. Hinnant's civil_from_days). */
static void
civil(long long days, long long *year, int *month, int *day)
{
    days += 719468;
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    long long doe = days - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

/* repr(micros / 1_000_000) into p (at least 32 bytes); the length, or -1 to leave the list
 * to Python. For 100 <= micros < 10**15 the quotient is the double nearest a decimal of at
 * most 15 significant digits, so its shortest repr is that decimal (trailing zeros dropped,
 * ".0" when whole) and repr writes it without an exponent (0.0001 <= x < 1e16). */
static int
duration(long long micros, char *p)
{
    if (micros >= 100 && micros < 1000000000000000LL) {
        char tmp[24];
        int n = udigits((unsigned long long)(micros / US), tmp + sizeof tmp);
        memcpy(p, tmp + sizeof tmp - n, (size_t)n);
        p[n++] = '.';
        long long fraction = micros % US;
        if (fraction == 0) {
            p[n++] = '0';
            return n;
        }
        char frac[6];
        for (int i = 5; i >= 0; i--) {
            frac[i] = (char)('0' + fraction % 10);
            fraction /= 10;
        }
        int keep = 6;
        while (frac[keep - 1] == '0') {
            keep--;
        }
        memcpy(p + n, frac, (size_t)keep);
        return n + keep;
    }
    if (micros == 0) {
        memcpy(p, "0.0", 3);
        return 3;
    }
    /* int / int in Python is the correctly rounded quotient; so is this when both are exact
     * doubles (|micros| <= 2**53). */
    if (micros > 9007199254740992LL || micros < -9007199254740992LL) {
        return -1;
    }
    char *text = PyOS_double_to_string((double)micros / 1e6, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (text == NULL) {
        PyErr_Clear();
        return -1;
    }
    size_t n = strlen(text);
    if (n > 31) {
        PyMem_Free(text);
        return -1;
    }
    memcpy(p, text, n);
    PyMem_Free(text);
    return (int)n;
}

/* The cached text of one data object (a borrowed reference into ``cache``), or NULL with an
 * exception set. */
static PyObject *
data_text(PyObject *data, PyObject *cache, PyObject *encode)
{
    PyObject *key = PyLong_FromVoidPtr(data);
    if (key == NULL) {
        return NULL;
    }
    PyObject *cached = PyDict_GetItemWithError(cache, key);
    if (cached != NULL && PyTuple_CheckExact(cached) && PyTuple_GET_SIZE(cached) == 2 &&
        PyTuple_GET_ITEM(cached, 0) == data) {
        Py_DECREF(key);
        return PyTuple_GET_ITEM(cached, 1);
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    }
    PyObject *text = PyObject_CallOneArg(encode, data);
    if (text == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    PyObject *entry = PyTuple_Pack(2, data, text);
    Py_DECREF(text);
    if (entry == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    int failed = PyDict_SetItem(cache, key, entry);
    Py_DECREF(key);
    Py_DECREF(entry);
    if (failed) {
        return NULL;
    }
    /* The cache holds the entry, and so the text, until the encoder is dropped. */
    return text;
}

/* The most an event's text takes besides its data text: ", " + {"id": <20>, "timestamp":
 * "<11 + 8 + 7>+00:00", "duration": <31>, "data": + "}" (see event_head). */
#define EVENT_MAX 136

/* Writes into head (EVENT_MAX bytes) everything of ``event``'s text before its data text:
 * {"id": 1, "timestamp": "2026-12-05T09:00:00.250000+00:00", "duration": 1.5, "data":
 * (after ", " when ``comma``). Its length, or -1 when Python must write it: a field that is not
 * an int (or None for the id) within 64 bits, a year outside 1..9999, a duration repr cannot
 * be written here. ``date`` and ``last_day`` keep the last day's "YYYY-MM-DDT" between calls. */
static int
event_head(PyObject *event, const Offsets *at, int comma, char *head, char *date,
           long long *last_day)
{
    char *base = (char *)event;
    PyObject *ts_obj = *(PyObject **)(base + at->ts);
    PyObject *dur_obj = *(PyObject **)(base + at->dur);
    PyObject *id_obj = *(PyObject **)(base + at->id);
    if (ts_obj == NULL || dur_obj == NULL || id_obj == NULL || !PyLong_CheckExact(ts_obj) ||
        !PyLong_CheckExact(dur_obj)) {
        return -1;
    }
    int overflow = 0;
    long long ts = PyLong_AsLongLongAndOverflow(ts_obj, &overflow);
    if (overflow) {
        return -1;
    }
    long long dur = PyLong_AsLongLongAndOverflow(dur_obj, &overflow);
    if (overflow) {
        return -1;
    }
    long long event_id = 0;
    int has_id = id_obj != Py_None;
    if (has_id) {
        if (!PyLong_CheckExact(id_obj)) {
            return -1;
        }
        event_id = PyLong_AsLongLongAndOverflow(id_obj, &overflow);
        if (overflow) {
            return -1;
        }
    }
    long long seconds = ts / US, fraction = ts % US;
    if (fraction < 0) {
        fraction += US;
        seconds -= 1;
    }
    long long day = seconds / DAY_S, of_day = seconds % DAY_S;
    if (of_day < 0) {
        of_day += DAY_S;
        day -= 1;
    }
    if (day != *last_day) {
        long long year;
        int month, mday;
        civil(day, &year, &month, &mday);
        if (year < 1 || year > 9999) {
            return -1;
        }
        date[0] = (char)('0' + year / 1000);
        date[1] = (char)('0' + year / 100 % 10);
        date[2] = (char)('0' + year / 10 % 10);
        date[3] = (char)('0' + year % 10);
        date[4] = '-';
        two(date + 5, month);
        date[7] = '-';
        two(date + 8, mday);
        date[10] = 'T';
        *last_day = day;
    }
    int n = 0;
    if (comma) {
        head[n++] = ',';
        head[n++] = ' ';
    }
    memcpy(head + n, "{\"id\": ", 7);
    n += 7;
    if (has_id) {
        char tmp[24];
        unsigned long long magnitude =
            event_id < 0 ? 0ULL - (unsigned long long)event_id : (unsigned long long)event_id;
        int k = udigits(magnitude, tmp + sizeof tmp);
        if (event_id < 0) {
            head[n++] = '-';
        }
        memcpy(head + n, tmp + sizeof tmp - k, (size_t)k);
        n += k;
    }
    else {
        memcpy(head + n, "null", 4);
        n += 4;
    }
    memcpy(head + n, ", \"timestamp\": \"", 16);
    n += 16;
    memcpy(head + n, date, 11);
    n += 11;
    int hour = (int)(of_day / 3600), minute = (int)(of_day / 60 % 60), second = (int)(of_day % 60);
    two(head + n, hour);
    head[n + 2] = ':';
    two(head + n + 3, minute);
    head[n + 5] = ':';
    two(head + n + 6, second);
    n += 8;
    if (fraction) {
        head[n++] = '.';
        for (int d = 5; d >= 0; d--) {
            head[n + d] = (char)('0' + fraction % 10);
            fraction /= 10;
        }
        n += 6;
    }
    memcpy(head + n, "+00:00\", \"duration\": ", 21);
    n += 21;
    int k = duration(dur, head + n);
    if (k < 0) {
        return -1;
    }
    n += k;
    memcpy(head + n, ", \"data\": ", 10);
    n += 10;
    return n;
}

static PyObject *
events(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "events(events, ev_type, cache, encode)");
        return NULL;
    }
    PyObject *list = args[0], *ev_type = args[1], *cache = args[2], *encode = args[3];
    if (!PyList_CheckExact(list) || !PyType_Check(ev_type) || !PyDict_CheckExact(cache)) {
        PyErr_SetString(PyExc_TypeError, "events(list, type, dict, callable)");
        return NULL;
    }
    Offsets at;
    if (!member_offset(ev_type, "ts", &at.ts) || !member_offset(ev_type, "dur", &at.dur) ||
        !member_offset(ev_type, "data", &at.data) || !member_offset(ev_type, "id", &at.id)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t count = PyList_GET_SIZE(list);
    if (count == 0) {
        return PyUnicode_FromString("[]");
    }
    Out out = {NULL, NULL, 0, 0, 0};
    if (out_reserve(&out, count * 160 + 2) < 0) {
        return NULL;
    }
    long long last_day = LLONG_MIN;
    char date[16]; /* "YYYY-MM-DDT" */
    put(&out, "[", 1);
    for (Py_ssize_t i = 0; i < count; i++) {
        /* The list cannot change under us except through ``encode`` (Python code): re-read
         * its size and item each time. */
        if (i >= PyList_GET_SIZE(list)) {
            goto fallback;
        }
        PyObject *event = PyList_GET_ITEM(list, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            goto fallback;
        }
        PyObject *data = *(PyObject **)((char *)event + at.data);
        if (data == NULL) {
            goto fallback;
        }
        /* ``encode`` runs Python code: the event and its data (a borrowed slot) are held. */
        Py_INCREF(event);
        Py_INCREF(data);
        PyObject *text = data_text(data, cache, encode);
        Py_DECREF(data);
        if (text == NULL) {
            Py_DECREF(event);
            goto error;
        }
        if (!PyUnicode_CheckExact(text) || !PyUnicode_IS_ASCII(text)) {
            Py_DECREF(event);
            goto fallback;
        }
        Py_ssize_t text_len = PyUnicode_GET_LENGTH(text);
        char head[EVENT_MAX];
        int n = event_head(event, &at, i > 0, head, date, &last_day);
        Py_DECREF(event);
        if (n < 0) {
            goto fallback;
        }
        if (out_reserve(&out, n + text_len + 2) < 0) {
            goto error;
        }
        put(&out, head, n);
        put(&out, (const char *)PyUnicode_1BYTE_DATA(text), text_len);
        put(&out, "}", 1);
    }
    if (out_reserve(&out, 1) < 0) {
        goto error;
    }
    put(&out, "]", 1);
    return out_finish(&out);

fallback:
    Py_XDECREF(out.obj);
    Py_RETURN_NONE;
error:
    Py_XDECREF(out.obj);
    return NULL;
}

/* Start and end of every event of ``list`` (all of type ``ev_type``, at offsets ``at``), into
 * a fresh array of 2 * n: 0 if some item is not such an event, a field is not an int within
 * 64 bits, a duration is not positive, an end overflows or the starts are not in order (so the
 * list is what sorted(key=ts) would give); -1 on an error. */
static int
columns(PyObject *list, PyObject *ev_type, const Offsets *at, long long **out)
{
    Py_ssize_t n = PyList_GET_SIZE(list);
    long long *col = PyMem_Malloc(sizeof(long long) * 2 * (size_t)(n ? n : 1));
    if (col == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *event = PyList_GET_ITEM(list, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            goto no;
        }
        PyObject *ts_obj = *(PyObject **)((char *)event + at->ts);
        PyObject *dur_obj = *(PyObject **)((char *)event + at->dur);
        if (ts_obj == NULL || dur_obj == NULL || !PyLong_CheckExact(ts_obj) ||
            !PyLong_CheckExact(dur_obj)) {
            goto no;
        }
        int overflow = 0;
        long long ts = PyLong_AsLongLongAndOverflow(ts_obj, &overflow);
        if (overflow) {
            goto no;
        }
        long long dur = PyLong_AsLongLongAndOverflow(dur_obj, &overflow);
        long long end;
        if (overflow || dur <= 0 || __builtin_add_overflow(ts, dur, &end) ||
            (i && ts < col[2 * i - 2])) {
            goto no;
        }
        col[2 * i] = ts;
        col[2 * i + 1] = end;
    }
    *out = col;
    return 1;
no:
    PyMem_Free(col);
    return 0;
}

/* intersect_lasting(events, filters, ev_type) -> list | None: transforms._intersect_lasting
 * (filter_period_intersect when every event of both lists lasts) over two lists sorted by
 * start: the pieces of ``events`` within some filter event, as new ``ev_type(start, duration,
 * data, id)``. None when some event does not last, a field is not a 64-bit int, or a list is
 * not by start: the caller then sorts them or runs the Python sweep. */
static PyObject *
intersect_lasting(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyType_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "intersect_lasting(list, list, type)");
        return NULL;
    }
    if (!PyList_CheckExact(args[0]) || !PyList_CheckExact(args[1])) {
        Py_RETURN_NONE;
    }
    PyObject *evs = args[0], *filters = args[1], *ev_type = args[2];
    Offsets at;
    if (!member_offset(ev_type, "ts", &at.ts) || !member_offset(ev_type, "dur", &at.dur) ||
        !member_offset(ev_type, "data", &at.data) || !member_offset(ev_type, "id", &at.id)) {
        Py_RETURN_NONE;
    }
    long long *one = NULL, *two_ = NULL;
    int got = columns(evs, ev_type, &at, &one);
    if (got <= 0) {
        return got < 0 ? NULL : Py_NewRef(Py_None);
    }
    got = columns(filters, ev_type, &at, &two_);
    if (got <= 0) {
        PyMem_Free(one);
        return got < 0 ? NULL : Py_NewRef(Py_None);
    }
    /* The events are held by the lists (arguments of this call), which only Python code could
     * change: none runs below except ev_type's constructor (msgspec's, in C). Each item is
     * checked again before its fields are read anyway. */
    PyObject *result = PyList_New(0);
    if (result == NULL) {
        goto error;
    }
    Py_ssize_t n1 = PyList_GET_SIZE(evs), n2 = PyList_GET_SIZE(filters), i = 0, j = 0;
    while (i < n1 && j < n2) {
        long long t1 = one[2 * i + 1], s2 = two_[2 * j];
        if (t1 <= s2) {
            i++;
            continue;
        }
        long long s1 = one[2 * i], t2 = two_[2 * j + 1];
        if (t2 <= s1) {
            j++;
            continue;
        }
        long long start = s1 > s2 ? s1 : s2;
        long long end = t1 <= t2 ? t1 : t2;
        if (i >= PyList_GET_SIZE(evs)) {
            break;
        }
        PyObject *event = PyList_GET_ITEM(evs, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            PyErr_SetString(PyExc_RuntimeError, "the list changed while it was intersected");
            goto error;
        }
        PyObject *fields[4];
        /* A piece that is the whole event (the usual case: a window event within a not-afk
         * period) shares the event's int objects: fewer objects to make, free and fault in. */
        PyObject *ts_obj = *(PyObject **)((char *)event + at.ts);
        PyObject *dur_obj = *(PyObject **)((char *)event + at.dur);
        fields[0] = start == one[2 * i] && ts_obj != NULL && PyLong_CheckExact(ts_obj)
                        ? Py_NewRef(ts_obj)
                        : PyLong_FromLongLong(start);
        fields[1] = start == one[2 * i] && end == t1 && dur_obj != NULL && PyLong_CheckExact(dur_obj)
                        ? Py_NewRef(dur_obj)
                        : PyLong_FromLongLong(end - start);
        fields[2] = *(PyObject **)((char *)event + at.data);
        fields[3] = *(PyObject **)((char *)event + at.id);
        if (fields[0] == NULL || fields[1] == NULL || fields[2] == NULL || fields[3] == NULL) {
            Py_XDECREF(fields[0]);
            Py_XDECREF(fields[1]);
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_AttributeError, "an event without data or id");
            }
            goto error;
        }
        Py_INCREF(fields[2]);
        Py_INCREF(fields[3]);
        PyObject *piece = PyObject_Vectorcall(ev_type, fields, 4, NULL);
        for (int k = 0; k < 4; k++) {
            Py_DECREF(fields[k]);
        }
        if (piece == NULL) {
            goto error;
        }
        int failed = PyList_Append(result, piece);
        Py_DECREF(piece);
        if (failed) {
            goto error;
        }
        if (t1 <= t2) {
            i++;
        }
        else {
            j++;
        }
    }
    PyMem_Free(one);
    PyMem_Free(two_);
    return result;
error:
    Py_XDECREF(result);
    PyMem_Free(one);
    PyMem_Free(two_);
    return NULL;
}

/* Object -> object by address, open addressing; it holds a reference to each key and value
 * until freed, so no key's address is reused meanwhile. */
typedef struct {
    PyObject **keys, **values;
    size_t cap, used;
} Table;

static int
table_init(Table *table)
{
    table->cap = 256;
    table->used = 0;
    table->keys = PyMem_Calloc(table->cap, sizeof(PyObject *));
    table->values = PyMem_Calloc(table->cap, sizeof(PyObject *));
    if (table->keys == NULL || table->values == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static inline size_t
table_slot(PyObject **keys, size_t cap, PyObject *key)
{
    size_t mask = cap - 1;
    size_t slot = ((((size_t)key >> 4) * 0x9E3779B97F4A7C15ULL) >> 17) & mask;
    while (keys[slot] != NULL && keys[slot] != key) {
        slot = (slot + 1) & mask;
    }
    return slot;
}

/* The value of ``key`` (borrowed), or NULL. */
static inline PyObject *
table_get(Table *table, PyObject *key)
{
    size_t slot = table_slot(table->keys, table->cap, key);
    return table->keys[slot] == key ? table->values[slot] : NULL;
}

/* Adds key -> value (a new key), taking over the reference to ``value``. */
static int
table_put(Table *table, PyObject *key, PyObject *value)
{
    size_t slot = table_slot(table->keys, table->cap, key);
    table->keys[slot] = Py_NewRef(key);
    table->values[slot] = value;
    if (++table->used * 2 <= table->cap) {
        return 0;
    }
    size_t bigger = table->cap * 4;
    PyObject **keys = PyMem_Calloc(bigger, sizeof(PyObject *));
    PyObject **values = PyMem_Calloc(bigger, sizeof(PyObject *));
    if (keys == NULL || values == NULL) {
        PyMem_Free(keys);
        PyMem_Free(values);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t k = 0; k < table->cap; k++) {
        if (table->keys[k] != NULL) {
            size_t to = table_slot(keys, bigger, table->keys[k]);
            keys[to] = table->keys[k];
            values[to] = table->values[k];
        }
    }
    PyMem_Free(table->keys);
    PyMem_Free(table->values);
    table->keys = keys;
    table->values = values;
    table->cap = bigger;
    return 0;
}

static void
table_free(Table *table)
{
    if (table->keys != NULL && table->values != NULL) {
        for (size_t k = 0; k < table->cap; k++) {
            Py_XDECREF(table->keys[k]);
            Py_XDECREF(table->values[k]);
        }
    }
    PyMem_Free(table->keys);
    PyMem_Free(table->values);
}

/* The offsets of ev_type's fields and whether every item of ``list`` is an ev_type: 1 yes,
 * 0 no. */
static int
all_events(PyObject *list, PyObject *ev_type, Offsets *at)
{
    if (!member_offset(ev_type, "ts", &at->ts) || !member_offset(ev_type, "dur", &at->dur) ||
        !member_offset(ev_type, "data", &at->data) || !member_offset(ev_type, "id", &at->id)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        if (!Py_IS_TYPE(PyList_GET_ITEM(list, i), (PyTypeObject *)ev_type)) {
            return 0;
        }
    }
    return 1;
}

/* merge_by_data(events, ev_type, miss) -> True | None: the loop of
 * transforms.merge_events_by_keys. Each event whose data object was seen before adds its
 * duration to that object's merged event; for the first event of each data object
 * ``miss(event)`` (Python: the composite key, the merged dict) returns the merged event it
 * went to. None, before changing anything, when an item is not an ``ev_type``. */
static PyObject *
merge_by_data(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyList_CheckExact(args[0]) || !PyType_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "merge_by_data(list, type, callable)");
        return NULL;
    }
    PyObject *list = args[0], *ev_type = args[1], *miss = args[2];
    Offsets at;
    if (!all_events(list, ev_type, &at)) {
        Py_RETURN_NONE;
    }
    Table table;
    PyObject *list_ref = Py_NewRef(list);
    PyObject *result = NULL;
    if (table_init(&table) < 0) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *event = PyList_GET_ITEM(list, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            PyErr_SetString(PyExc_TypeError, "the list changed while it was merged");
            goto done;
        }
        PyObject *data = *(PyObject **)((char *)event + at.data);
        PyObject *dur = *(PyObject **)((char *)event + at.dur);
        if (data == NULL || dur == NULL) {
            PyErr_SetString(PyExc_AttributeError, "an event without data or duration");
            goto done;
        }
        PyObject *merged = table_get(&table, data);
        if (merged != NULL) {
            PyObject **field = (PyObject **)((char *)merged + at.dur);
            if (*field == NULL) {
                PyErr_SetString(PyExc_AttributeError, "a merged event without duration");
                goto done;
            }
            PyObject *sum = PyNumber_Add(*field, dur);
            if (sum == NULL) {
                goto done;
            }
            Py_SETREF(*field, sum);
            continue;
        }
        /* ``miss`` runs Python code: the event and its data (a borrowed slot) are held. */
        Py_INCREF(event);
        Py_INCREF(data);
        merged = PyObject_CallOneArg(miss, event);
        Py_DECREF(event);
        if (merged == NULL) {
            Py_DECREF(data);
            goto done;
        }
        if (!Py_IS_TYPE(merged, (PyTypeObject *)ev_type)) {
            Py_DECREF(merged);
            Py_DECREF(data);
            PyErr_SetString(PyExc_TypeError, "miss must return an event");
            goto done;
        }
        int put_failed = table_put(&table, data, merged) < 0;
        Py_DECREF(data);
        if (put_failed) {
            goto done;
        }
    }
    result = Py_NewRef(Py_True);
done:
    table_free(&table);
    Py_DECREF(list_ref);
    return result;
}

/* relabel(events, ev_type, miss) -> True | None: the loop of transforms._label. Each
 * event's data becomes ``miss(data)``, computed once per data object. None, before
 * changing anything, when an item is not an ``ev_type``. */
static PyObject *
relabel(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyList_CheckExact(args[0]) || !PyType_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "relabel(list, type, callable)");
        return NULL;
    }
    PyObject *list = args[0], *ev_type = args[1], *miss = args[2];
    Offsets at;
    if (!all_events(list, ev_type, &at)) {
        Py_RETURN_NONE;
    }
    Table table;
    PyObject *list_ref = Py_NewRef(list);
    PyObject *result = NULL;
    if (table_init(&table) < 0) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *event = PyList_GET_ITEM(list, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            PyErr_SetString(PyExc_TypeError, "the list changed while it was labelled");
            goto done;
        }
        PyObject **field = (PyObject **)((char *)event + at.data);
        PyObject *data = *field;
        if (data == NULL) {
            PyErr_SetString(PyExc_AttributeError, "an event without data");
            goto done;
        }
        PyObject *labelled = table_get(&table, data);
        if (labelled == NULL) {
            /* ``miss`` runs Python code: the data (a borrowed slot) is held until the table
             * holds it as its key. */
            Py_INCREF(data);
            labelled = PyObject_CallOneArg(miss, data);
            if (labelled == NULL) {
                Py_DECREF(data);
                goto done;
            }
            int put_failed = table_put(&table, data, labelled) < 0;
            Py_DECREF(data);
            if (put_failed) {
                goto done;
            }
            /* The table holds the old data (its key) and the new; the event may change. */
            if (i >= PyList_GET_SIZE(list) || PyList_GET_ITEM(list, i) != event) {
                PyErr_SetString(PyExc_RuntimeError, "the list changed while it was labelled");
                goto done;
            }
            field = (PyObject **)((char *)event + at.data);
            if (*field != data) {
                PyErr_SetString(PyExc_RuntimeError, "the list changed while it was labelled");
                goto done;
            }
        }
        Py_SETREF(*field, Py_NewRef(labelled));
    }
    result = Py_NewRef(Py_True);
done:
    table_free(&table);
    Py_DECREF(list_ref);
    return result;
}

/* read_columns(ev_type, tss, durs, ids, didx, datas, head, middle, high, start, end, longest)
 * -> (events, starts, durations) | None: store.Store.events_oldest_first's read of a bucket's
 * copy in memory (store.Columns), without the columns as lists first: the events at ``head``
 * (a list of indexes) and at middle..high-1, as new ``ev_type(ts, dur, datas[didx], id)``,
 * trimmed to [start, end] (``longest``: the bucket's longest duration), with lists of their
 * starts and durations (the same int objects). None for what Python must do (columns whose
 * items are not 8 bytes, an index out of range, an end beyond 64 bits). */
static int
int64_column(PyObject *array, Py_buffer *view)
{
    if (PyObject_GetBuffer(array, view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        return -1;
    }
    if (view->itemsize != 8 || view->format == NULL || strlen(view->format) != 1 ||
        (view->format[0] != 'q' && view->format[0] != 'l')) {
        PyBuffer_Release(view);
        return 0;
    }
    return 1;
}

static PyObject *
read_columns(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 12 || !PyType_Check(args[0]) || !PyList_CheckExact(args[5]) ||
        !PyList_CheckExact(args[6])) {
        PyErr_SetString(PyExc_TypeError, "read_columns(type, array x4, list, list, int x5)");
        return NULL;
    }
    PyObject *ev_type = args[0], *datas = args[5], *head = args[6];
    long long bounds[5]; /* middle, high, start, end, longest */
    for (int k = 0; k < 5; k++) {
        int overflow = 0;
        bounds[k] = PyLong_AsLongLongAndOverflow(args[7 + k], &overflow);
        if (bounds[k] == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (overflow) {
            Py_RETURN_NONE;
        }
    }
    long long middle = bounds[0], high = bounds[1], start = bounds[2], end = bounds[3];
    long long reach;
    if (__builtin_sub_overflow(end, bounds[4], &reach)) {
        Py_RETURN_NONE;
    }
    Py_buffer views[4];
    int got = 0, k = 0;
    for (; k < 4; k++) {
        got = int64_column(args[1 + k], &views[k]);
        if (got <= 0) {
            break;
        }
    }
    PyObject *result = NULL, *evs = NULL, *starts = NULL, *durations = NULL;
    if (got <= 0) {
        goto release; /* views[0..k-1] are held */
    }
    const long long *tss = views[0].buf, *durs = views[1].buf, *ids = views[2].buf,
                    *didx = views[3].buf;
    Py_ssize_t rows = views[0].len / 8, n_head = PyList_GET_SIZE(head);
    if (middle < 0 || high < middle || high > rows || views[1].len / 8 < rows ||
        views[2].len / 8 < rows || views[3].len / 8 < rows) {
        got = 0;
        goto release;
    }
    Py_ssize_t n = n_head + (Py_ssize_t)(high - middle);
    evs = PyList_New(n);
    starts = PyList_New(n);
    durations = PyList_New(n);
    if (evs == NULL || starts == NULL || durations == NULL) {
        got = -1;
        goto release;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t row;
        if (i < n_head) {
            row = PyLong_AsSsize_t(PyList_GET_ITEM(head, i));
            if (row == -1 && PyErr_Occurred()) {
                got = -1;
                goto release;
            }
        }
        else {
            row = (Py_ssize_t)middle + (i - n_head);
        }
        if (row < 0 || row >= rows || didx[row] < 0 || didx[row] >= PyList_GET_SIZE(datas)) {
            got = 0;
            goto release;
        }
        long long ts = tss[row], dur = durs[row], stop;
        /* Trimmed as events_oldest_first trims (those before ``start`` come first, sorted). */
        if (ts < start) {
            if (__builtin_add_overflow(ts, dur, &stop)) {
                got = 0;
                goto release;
            }
            dur = stop - start;
            ts = start;
        }
        if (ts >= reach) {
            if (__builtin_add_overflow(ts, dur, &stop)) {
                got = 0;
                goto release;
            }
            if (stop > end) {
                dur = end - ts;
            }
        }
        PyObject *fields[4];
        fields[0] = PyLong_FromLongLong(ts);
        fields[1] = PyLong_FromLongLong(dur);
        fields[2] = PyList_GET_ITEM(datas, didx[row]);
        fields[3] = PyLong_FromLongLong(ids[row]);
        PyObject *event = NULL;
        Py_INCREF(fields[2]); /* (held while the constructor runs) */
        if (fields[0] != NULL && fields[1] != NULL && fields[3] != NULL) {
            event = PyObject_Vectorcall(ev_type, fields, 4, NULL);
        }
        Py_DECREF(fields[2]);
        Py_XDECREF(fields[3]);
        if (event == NULL) {
            Py_XDECREF(fields[0]);
            Py_XDECREF(fields[1]);
            got = -1;
            goto release;
        }
        PyList_SET_ITEM(evs, i, event);
        PyList_SET_ITEM(starts, i, fields[0]); /* the lists take these references */
        PyList_SET_ITEM(durations, i, fields[1]);
    }
    result = PyTuple_Pack(3, evs, starts, durations);
    got = result == NULL ? -1 : 1;
release:
    for (int j = 0; j < k; j++) {
        PyBuffer_Release(&views[j]);
    }
    Py_XDECREF(evs);
    Py_XDECREF(starts);
    Py_XDECREF(durations);
    if (got == 0) {
        return Py_NewRef(Py_None);
    }
    return got < 0 ? NULL : result;
}

/* filter_keyvals(events, ev_type, key, values, exclude) -> list | None: transforms.filter_keyvals
 * (the events whose data has ``key`` with a value in ``values``, or, with ``exclude``, the
 * others), deciding once per data object. None for what Python must do (an item of another
 * type, data that is not an exact dict, a key that is not an exact str, values not a list). */
static PyObject *
filter_keyvals(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyType_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "filter_keyvals(list, type, str, list, bool)");
        return NULL;
    }
    PyObject *list = args[0], *ev_type = args[1], *key = args[2], *values = args[3];
    int exclude = PyObject_IsTrue(args[4]);
    Offsets at;
    if (exclude < 0) {
        return NULL;
    }
    if (!PyList_CheckExact(list) || !PyUnicode_CheckExact(key) || !PyList_CheckExact(values) ||
        !all_events(list, ev_type, &at)) {
        Py_RETURN_NONE;
    }
    Table seen = {NULL, NULL, 0, 0}; /* data object -> True (kept) or False */
    PyObject *list_ref = Py_NewRef(list), *values_ref = Py_NewRef(values);
    PyObject *kept = PyList_New(0), *result = NULL;
    if (kept == NULL || table_init(&seen) < 0) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *event = PyList_GET_ITEM(list, i);
        if (!Py_IS_TYPE(event, (PyTypeObject *)ev_type)) {
            result = Py_NewRef(Py_None); /* changed by a comparison's Python code */
            goto done;
        }
        PyObject *data = *(PyObject **)((char *)event + at.data);
        if (data == NULL || !PyDict_CheckExact(data)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        PyObject *keep = table_get(&seen, data);
        /* Held until appended: comparing values could run Python code that empties the list. */
        Py_INCREF(event);
        if (keep == NULL) {
            Py_INCREF(data);
            PyObject *value = PyDict_GetItemWithError(data, key);
            int found = 0;
            if (value != NULL) {
                Py_INCREF(value);
                found = PySequence_Contains(values, value);
                Py_DECREF(value);
            }
            else if (PyErr_Occurred()) {
                found = -1;
            }
            keep = (found > 0) != exclude ? Py_True : Py_False;
            int failed = found < 0 || table_put(&seen, data, Py_NewRef(keep)) < 0;
            Py_DECREF(data);
            if (failed) {
                Py_DECREF(event);
                goto done;
            }
        }
        int appended = keep == Py_True ? PyList_Append(kept, event) : 0;
        Py_DECREF(event);
        if (appended < 0) {
            goto done;
        }
    }
    result = Py_NewRef(kept);
done:
    table_free(&seen);
    Py_XDECREF(kept);
    Py_DECREF(values_ref);
    Py_DECREF(list_ref);
    return result;
}

/* flood_pass(events, ev_type, pulse, ascending) -> list | False | None: transforms._flood_ordered
 * up to its normalizing loop, over events in flood's order (by start, then duration), whose
 * starts strictly ascend from index ``ascending`` on (checked here). Each pair with
 * a gap or an overlap is changed in place as _flood_pair changes it (new int objects in the
 * events' ts and dur slots). Then: the events that last, as a new list, when no overlap is
 * left; False when one is (the caller normalizes the changed events); None, before changing
 * anything, for what Python must do (an item of another type, a field not an int within
 * +-2**61, a negative duration, a pulse beyond 2**52, data that is not an exact dict, starts
 * out of that order). */

#define FLOOD_TRIM 100000LL /* transforms._TRIM */
#define FLOOD_LIMIT (1LL << 61)

static inline long long
floor_mod(long long a, long long b)
{
    long long m = a % b;
    return m < 0 ? m + b : m;
}

/* round(gap / 2) as Python rounds it (half to even), for |gap| <= 2**52. */
static inline long long
half_even(long long gap)
{
    long long k = gap >= 0 ? gap / 2 : -((-gap + 1) / 2); /* floor(gap / 2) */
    if (gap - 2 * k == 0) {
        return k;
    }
    return (k & 1) ? k + 1 : k; /* gap / 2 is k + 0.5 */
}

static int
set_int(PyObject *event, Py_ssize_t offset, long long value)
{
    PyObject *number = PyLong_FromLongLong(value);
    if (number == NULL) {
        return -1;
    }
    Py_SETREF(*(PyObject **)((char *)event + offset), number);
    return 0;
}

/* The int in an event's ts or dur slot, once Python code may have run (a comparison of odd
 * data): the event must still be of ev_type and the slot an exact int within +-2**61, or the
 * list was changed under the loop (RuntimeError). 0, or -1 with an exception set. */
static int
slot_value(PyObject *event, PyObject *ev_type, Py_ssize_t offset, long long *out)
{
    PyObject *value = Py_IS_TYPE(event, (PyTypeObject *)ev_type)
                          ? *(PyObject **)((char *)event + offset)
                          : NULL;
    int overflow = 0;
    if (value != NULL && PyLong_CheckExact(value)) {
        *out = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (*out == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (!overflow && *out < FLOOD_LIMIT && *out > -FLOOD_LIMIT) {
            return 0;
        }
    }
    PyErr_SetString(PyExc_RuntimeError, "the list changed while it was flooded");
    return -1;
}

static PyObject *
flood_pass(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyType_Check(args[1]) || !PyLong_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "flood_pass(list, type, int, int)");
        return NULL;
    }
    PyObject *list = args[0], *ev_type = args[1];
    Py_ssize_t ascending = PyLong_AsSsize_t(args[3]);
    if (ascending == -1 && PyErr_Occurred()) {
        return NULL;
    }
    int overflow = 0;
    long long pulse = PyLong_Check(args[2]) ? PyLong_AsLongLongAndOverflow(args[2], &overflow) : 0;
    if (!PyLong_Check(args[2]) || overflow || pulse > (1LL << 52) || pulse < -(1LL << 52)) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    Offsets at;
    if (!PyList_CheckExact(list) || !all_events(list, ev_type, &at)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    /* Starts and durations (then the original ends) of every event, checked before any change. */
    long long *ts = PyMem_Malloc(sizeof(long long) * 2 * (size_t)(n ? n : 1));
    if (ts == NULL) {
        return PyErr_NoMemory();
    }
    long long *dur = ts + n;
    for (Py_ssize_t i = 0; i < n; i++) {
        char *base = (char *)PyList_GET_ITEM(list, i);
        PyObject *t = *(PyObject **)(base + at.ts), *d = *(PyObject **)(base + at.dur);
        PyObject *data = *(PyObject **)(base + at.data);
        if (t == NULL || d == NULL || data == NULL || !PyLong_CheckExact(t) ||
            !PyLong_CheckExact(d) || !PyDict_CheckExact(data)) {
            goto python;
        }
        ts[i] = PyLong_AsLongLongAndOverflow(t, &overflow);
        if (overflow || ts[i] >= FLOOD_LIMIT || ts[i] <= -FLOOD_LIMIT) {
            goto python;
        }
        dur[i] = PyLong_AsLongLongAndOverflow(d, &overflow);
        if (overflow || dur[i] < 0 || dur[i] >= FLOOD_LIMIT) {
            goto python;
        }
        if (i > ascending && ts[i] <= ts[i - 1]) {
            goto python; /* not in the order the caller expects */
        }
    }
    /* Python code runs below only in a comparison of odd data (JSON's dicts run none): after
     * one, the list's size and the pair are checked, and every field is read again through
     * slot_value, which refuses an event or a field that such code replaced. */
    Py_ssize_t done = -1;
    for (Py_ssize_t first = 0; first + 1 < n; first++) {
        /* The pairs whose original start and end differ, as _flood_ordered finds them. */
        if (ts[first + 1] == ts[first] + dur[first] || first <= done) {
            continue;
        }
        Py_ssize_t i = first;
        for (; i + 1 < n; i++) {
            /* _flood_pair(evs[i], evs[i + 1], pulse) on the events' present fields */
            PyObject *e1 = PyList_GET_ITEM(list, i), *e2 = PyList_GET_ITEM(list, i + 1);
            long long s1, d1, s2, d2;
            if (slot_value(e1, ev_type, at.ts, &s1) < 0 ||
                slot_value(e1, ev_type, at.dur, &d1) < 0 ||
                slot_value(e2, ev_type, at.ts, &s2) < 0 ||
                slot_value(e2, ev_type, at.dur, &d2) < 0) {
                goto error;
            }
            long long gap = s2 - (s1 + d1);
            if (gap == 0) {
                break;
            }
            int same = -1;
            if (gap < 0 || (-FLOOD_TRIM < gap && gap <= pulse)) {
                /* Held: a comparison of odd data (not JSON's) could run Python code. */
                PyObject *a = Py_NewRef(*(PyObject **)((char *)e1 + at.data));
                PyObject *b = Py_NewRef(*(PyObject **)((char *)e2 + at.data));
                same = PyObject_RichCompareBool(a, b, Py_EQ);
                Py_DECREF(a);
                Py_DECREF(b);
                if (same >= 0 && (PyList_GET_SIZE(list) != n || PyList_GET_ITEM(list, i) != e1 ||
                                  PyList_GET_ITEM(list, i + 1) != e2)) {
                    PyErr_SetString(PyExc_RuntimeError, "the list changed while it was flooded");
                    same = -1;
                }
                if (same < 0) {
                    goto error;
                }
            }
            if (gap < 0 && same) {
                long long start = s1 < s2 ? s1 : s2;
                long long end = s1 + d1 > s2 + d2 ? s1 + d1 : s2 + d2;
                if (set_int(e1, at.ts, start) < 0 || set_int(e1, at.dur, end - start) < 0 ||
                    set_int(e2, at.ts, end - floor_mod(end, 1000)) < 0 ||
                    set_int(e2, at.dur, 0) < 0) {
                    goto error;
                }
            }
            else if (-FLOOD_TRIM < gap && gap <= pulse) {
                long long e2_end = s2 + d2;
                int failed;
                if (same && d1 >= d2) {
                    failed = set_int(e1, at.dur, e2_end - s1) < 0 ||
                             set_int(e2, at.ts, e2_end - floor_mod(e2_end, 1000)) < 0 ||
                             set_int(e2, at.dur, 0) < 0;
                }
                else if (same) {
                    failed = set_int(e2, at.ts, s1) < 0 || set_int(e2, at.dur, e2_end - s1) < 0 ||
                             set_int(e1, at.dur, 0) < 0;
                }
                else {
                    long long midpoint = s1 + d1 + half_even(gap);
                    failed = set_int(e1, at.dur, midpoint - s1) < 0 ||
                             set_int(e2, at.ts, midpoint - floor_mod(midpoint, 1000)) < 0 ||
                             set_int(e2, at.dur, e2_end - midpoint) < 0;
                }
                if (failed) {
                    goto error;
                }
            }
            else {
                break;
            }
        }
        done = i;
    }
    /* The present fields: an overlap left means flood's normalizing loop (in Python). */
    Py_ssize_t lasting = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *event = PyList_GET_ITEM(list, i);
        if (slot_value(event, ev_type, at.ts, &ts[i]) < 0 ||
            slot_value(event, ev_type, at.dur, &dur[i]) < 0) {
            goto error;
        }
        lasting += dur[i] > 0;
        if (i && ts[i - 1] + dur[i - 1] > ts[i]) {
            PyMem_Free(ts);
            Py_RETURN_FALSE;
        }
    }
    PyObject *result = PyList_New(lasting);
    if (result == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0, k = 0; i < n; i++) {
        if (dur[i] > 0) {
            PyList_SET_ITEM(result, k++, Py_NewRef(PyList_GET_ITEM(list, i)));
        }
    }
    PyMem_Free(ts);
    return result;
python:
    PyMem_Free(ts);
    Py_RETURN_NONE;
error:
    PyMem_Free(ts);
    return NULL;
}

/* answer(value, ev_type, duration_type, leaf) -> bytes | None: events._Encoder().encode(value)
 * as bytes (its text is ASCII), written in one buffer instead of a str per event list, their
 * join and its encoding (three copies of an answer of megabytes, and fresh pages for each).
 *
 * It walks the value as _Encoder._write does: exact lists ("[a, b]"; a non-empty list of
 * ev_type only is an event list, written as ``events`` writes it), exact dicts with str keys
 * ({"key": value, ...}), an ev_type alone, a duration_type (repr of its seconds), and anything
 * else by ``leaf(value)`` (json.dumps with the encoder's default; it also gives each data
 * object's text and each key's that needs escapes). Two passes: the first calls ``leaf`` for
 * every text the answer needs and adds up an upper bound of its length; the second writes
 * into a bytes object of that size, running no Python code (so nothing can change between
 * the bytes). None for what Python must write (a subclass of list or dict, a key that is not a
 * str, a field event_head leaves to Python, nesting deeper than MAX_DEPTH). */

#define MAX_DEPTH 100

typedef struct {
    PyObject *ev_type, *duration_type, *leaf;
    Offsets at;
    Py_ssize_t micros; /* where duration_type keeps its microseconds */
    Table texts;       /* data object -> its text */
    PyObject *stash;   /* [(value, text)] of the leaves and escaped keys, in walk order */
    Py_ssize_t next;   /* the second pass's place in ``stash`` */
    Py_ssize_t size;   /* the first pass's upper bound */
    int depth;
    Out out;
    long long last_day;
    char date[16];
} Walk;

/* The text ``leaf`` gives for ``value`` (an ASCII str: a new reference), or NULL: *fallback
 * set when it is not such a str, else an exception. */
static PyObject *
leaf_text(Walk *w, PyObject *value, int *fallback)
{
    PyObject *text = PyObject_CallOneArg(w->leaf, value);
    if (text != NULL && !(PyUnicode_CheckExact(text) && PyUnicode_IS_ASCII(text))) {
        Py_DECREF(text);
        *fallback = 1;
        return NULL;
    }
    return text;
}

/* First pass over an event's data: its text into the table (once per data object). 1, 0 to
 * leave the answer to Python, -1 on an error. */
static int
measure_event(Walk *w, PyObject *event)
{
    PyObject *data = *(PyObject **)((char *)event + w->at.data);
    if (data == NULL) {
        return 0;
    }
    PyObject *text = table_get(&w->texts, data);
    if (text == NULL) {
        int fallback = 0;
        Py_INCREF(data); /* a borrowed slot, and ``leaf`` runs Python code */
        text = leaf_text(w, data, &fallback);
        if (text == NULL) {
            Py_DECREF(data);
            return fallback ? 0 : -1;
        }
        int failed = table_put(&w->texts, data, text) < 0; /* takes over ``text`` */
        Py_DECREF(data);
        if (failed) {
            return -1;
        }
    }
    w->size += EVENT_MAX + PyUnicode_GET_LENGTH(text);
    return 1;
}

/* A key written without escapes: ASCII from ' ' to '~' except '"' and '\' (json.dumps's). */
static int
plain_key(PyObject *key)
{
    if (!PyUnicode_IS_ASCII(key)) {
        return 0;
    }
    const unsigned char *p = PyUnicode_1BYTE_DATA(key);
    for (Py_ssize_t i = 0, n = PyUnicode_GET_LENGTH(key); i < n; i++) {
        if (p[i] < ' ' || p[i] > '~' || p[i] == '"' || p[i] == '\\') {
            return 0;
        }
    }
    return 1;
}

static int
all_of_type(PyObject *list, PyObject *type)
{
    Py_ssize_t n = PyList_GET_SIZE(list);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!Py_IS_TYPE(PyList_GET_ITEM(list, i), (PyTypeObject *)type)) {
            return 0;
        }
    }
    return n > 0;
}

/* A leaf's (or key's) text into the stash, its length into the bound. */
static int
stash(Walk *w, PyObject *value)
{
    int fallback = 0;
    PyObject *text = leaf_text(w, value, &fallback);
    if (text == NULL) {
        return fallback ? 0 : -1;
    }
    w->size += PyUnicode_GET_LENGTH(text);
    PyObject *entry = PyTuple_Pack(2, value, text);
    Py_DECREF(text);
    if (entry == NULL) {
        return -1;
    }
    int failed = PyList_Append(w->stash, entry);
    Py_DECREF(entry);
    return failed ? -1 : 1;
}

static int measure(Walk *w, PyObject *value);

/* measure() of a container's item (or a dict's value), held meanwhile: Python code runs. */
static int
measure_held(Walk *w, PyObject *value)
{
    Py_INCREF(value);
    int got = measure(w, value);
    Py_DECREF(value);
    return got;
}

/* The first pass: 1, 0 to leave the answer to Python, -1 on an error. */
static int
measure(Walk *w, PyObject *value)
{
    if (w->depth >= MAX_DEPTH) {
        return 0;
    }
    int got = 1;
    w->depth++;
    if (PyList_CheckExact(value)) {
        if (all_of_type(value, w->ev_type)) {
            w->size += 2;
            /* ``leaf`` may change the list: its size and items are read again each time. */
            for (Py_ssize_t i = 0; got > 0 && i < PyList_GET_SIZE(value); i++) {
                PyObject *event = PyList_GET_ITEM(value, i);
                if (!Py_IS_TYPE(event, (PyTypeObject *)w->ev_type)) {
                    got = 0;
                    break;
                }
                Py_INCREF(event);
                got = measure_event(w, event);
                Py_DECREF(event);
            }
        }
        else {
            w->size += 2 + 2 * PyList_GET_SIZE(value);
            for (Py_ssize_t i = 0; got > 0 && i < PyList_GET_SIZE(value); i++) {
                got = measure_held(w, PyList_GET_ITEM(value, i));
            }
        }
    }
    else if (PyDict_CheckExact(value)) {
        Py_ssize_t pos = 0;
        PyObject *key, *item;
        w->size += 2 + 4 * PyDict_GET_SIZE(value); /* braces, ", " and ": " */
        while (got > 0 && PyDict_Next(value, &pos, &key, &item)) {
            if (!PyUnicode_CheckExact(key)) {
                got = 0;
                break;
            }
            Py_INCREF(key);
            Py_INCREF(item);
            if (plain_key(key)) {
                w->size += PyUnicode_GET_LENGTH(key) + 2;
            }
            else {
                got = stash(w, key);
            }
            if (got > 0) {
                got = measure(w, item);
            }
            Py_DECREF(key);
            Py_DECREF(item);
        }
    }
    else if (PyList_Check(value) || PyDict_Check(value)) {
        got = 0; /* a subclass: Python walks it (json.dumps would write some keys otherwise) */
    }
    else if (Py_IS_TYPE(value, (PyTypeObject *)w->ev_type)) {
        got = measure_event(w, value);
    }
    else if (Py_IS_TYPE(value, (PyTypeObject *)w->duration_type)) {
        w->size += 32;
    }
    else if (PyObject_TypeCheck(value, (PyTypeObject *)w->duration_type)) {
        got = 0; /* a subclass: Python writes it (its repr), as events._write does */
    }
    else {
        got = stash(w, value);
    }
    w->depth--;
    return got;
}

static inline int
put_text(Walk *w, PyObject *text)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (out_reserve(&w->out, n) < 0) {
        return -1;
    }
    put(&w->out, (const char *)PyUnicode_1BYTE_DATA(text), n);
    return 1;
}

/* The next stashed text, if it is ``value``'s (else the value changed: 0). */
static int
put_stashed(Walk *w, PyObject *value)
{
    if (w->next >= PyList_GET_SIZE(w->stash)) {
        return 0;
    }
    PyObject *entry = PyList_GET_ITEM(w->stash, w->next);
    w->next++;
    if (PyTuple_GET_ITEM(entry, 0) != value) {
        return 0;
    }
    return put_text(w, PyTuple_GET_ITEM(entry, 1));
}

static int
write_event(Walk *w, PyObject *event, int comma)
{
    PyObject *data = *(PyObject **)((char *)event + w->at.data);
    PyObject *text = data == NULL ? NULL : table_get(&w->texts, data);
    if (text == NULL) {
        return 0;
    }
    char head[EVENT_MAX];
    int n = event_head(event, &w->at, comma, head, w->date, &w->last_day);
    if (n < 0) {
        return 0;
    }
    Py_ssize_t text_len = PyUnicode_GET_LENGTH(text);
    if (out_reserve(&w->out, n + text_len + 1) < 0) {
        return -1;
    }
    put(&w->out, head, n);
    put(&w->out, (const char *)PyUnicode_1BYTE_DATA(text), text_len);
    put(&w->out, "}", 1);
    return 1;
}

/* The second pass (the same walk, no Python code): 1, 0 to leave it to Python, -1 on an error. */
static int
write_value(Walk *w, PyObject *value)
{
    int got = 1;
    if (w->depth >= MAX_DEPTH) {
        return 0; /* (deeper than the first pass saw: changed by a ``leaf`` call) */
    }
    if (out_reserve(&w->out, 2) < 0) {
        return -1;
    }
    if (PyList_CheckExact(value)) {
        Py_ssize_t n = PyList_GET_SIZE(value);
        int of_events = all_of_type(value, w->ev_type);
        put(&w->out, "[", 1);
        for (Py_ssize_t i = 0; got > 0 && i < n; i++) {
            PyObject *item = PyList_GET_ITEM(value, i);
            if (of_events) {
                got = write_event(w, item, i > 0);
                continue;
            }
            if (i) {
                if (out_reserve(&w->out, 2) < 0) {
                    return -1;
                }
                put(&w->out, ", ", 2);
            }
            w->depth++;
            got = write_value(w, item);
            w->depth--;
        }
    }
    else if (PyDict_CheckExact(value)) {
        Py_ssize_t pos = 0;
        PyObject *key, *item;
        put(&w->out, "{", 1);
        for (int first = 1; got > 0 && PyDict_Next(value, &pos, &key, &item); first = 0) {
            if (!PyUnicode_CheckExact(key)) {
                return 0;
            }
            Py_ssize_t n = PyUnicode_GET_LENGTH(key);
            if (out_reserve(&w->out, n + 6) < 0) {
                return -1;
            }
            if (!first) {
                put(&w->out, ", ", 2);
            }
            if (plain_key(key)) {
                put(&w->out, "\"", 1);
                put(&w->out, (const char *)PyUnicode_1BYTE_DATA(key), n);
                put(&w->out, "\"", 1);
            }
            else if ((got = put_stashed(w, key)) <= 0 || out_reserve(&w->out, 2) < 0) {
                return got <= 0 ? got : -1;
            }
            put(&w->out, ": ", 2);
            w->depth++;
            got = write_value(w, item);
            w->depth--;
        }
    }
    else if (Py_IS_TYPE(value, (PyTypeObject *)w->ev_type)) {
        return write_event(w, value, 0);
    }
    else if (Py_IS_TYPE(value, (PyTypeObject *)w->duration_type)) {
        PyObject *micros = *(PyObject **)((char *)value + w->micros);
        if (micros == NULL || !PyLong_CheckExact(micros)) {
            return 0;
        }
        int overflow = 0;
        long long us = PyLong_AsLongLongAndOverflow(micros, &overflow);
        char text[32];
        int n = overflow ? -1 : duration(us, text);
        if (n < 0 || out_reserve(&w->out, n) < 0) {
            return n < 0 ? 0 : -1;
        }
        put(&w->out, text, n);
        return 1;
    }
    else {
        return put_stashed(w, value);
    }
    if (got <= 0) {
        return got;
    }
    if (out_reserve(&w->out, 1) < 0) {
        return -1;
    }
    put(&w->out, PyList_CheckExact(value) ? "]" : "}", 1);
    return 1;
}

static PyObject *
answer(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyType_Check(args[1]) || !PyType_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "answer(value, ev_type, duration_type, leaf)");
        return NULL;
    }
    Walk w = {.ev_type = args[1], .duration_type = args[2], .leaf = args[3], .next = 0,
              .size = 0, .depth = 0, .out = {NULL, NULL, 0, 0, 1}, .last_day = LLONG_MIN};
    if (!member_offset(w.ev_type, "ts", &w.at.ts) || !member_offset(w.ev_type, "dur", &w.at.dur) ||
        !member_offset(w.ev_type, "data", &w.at.data) || !member_offset(w.ev_type, "id", &w.at.id) ||
        !member_offset(w.duration_type, "micros", &w.micros)) {
        Py_RETURN_NONE;
    }
    PyObject *value = Py_NewRef(args[0]), *result = NULL;
    w.stash = PyList_New(0);
    if (w.stash == NULL || table_init(&w.texts) < 0) {
        goto done;
    }
    int got = measure(&w, value);
    if (got > 0 && out_reserve(&w.out, w.size) == 0) {
        got = write_value(&w, value);
        if (got > 0) {
            result = out_finish(&w.out);
        }
    }
    else if (got > 0) {
        got = -1; /* no memory for the answer */
    }
    if (got == 0) {
        result = Py_NewRef(Py_None);
    }
done:
    Py_XDECREF(w.out.obj);
    Py_XDECREF(w.stash);
    table_free(&w.texts);
    Py_DECREF(value);
    return result;
}

/* head_fields(block, headers_type, limit) -> headers | None: server._fields's reading of a
 * request head's header lines (a str of latin-1 text, each line ending in CRLF), for heads
 * whose every line is a plain field: a token, ':', the value (optional spaces and tabs around
 * it, no CR or LF in it), CRLF. The answer is headers_type() (a dict) of lower-case name ->
 * value, filled in reverse line order as _fields does. None when a line is anything else,
 * a name repeats, or there are more than ``limit`` lines: _fields then reads the block in
 * Python (folded lines, repeated fields and the errors). */

#define MAX_FIELDS 128

static inline int
token_char(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return 1;
    }
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return 1;
    default:
        return 0;
    }
}

static PyObject *
head_fields(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyUnicode_Check(args[0]) || !PyType_Check(args[1]) ||
        !PyLong_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "head_fields(block, headers_type, limit)");
        return NULL;
    }
    PyObject *block = args[0];
    Py_ssize_t limit = PyLong_AsSsize_t(args[2]);
    if (limit == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (PyUnicode_KIND(block) != PyUnicode_1BYTE_KIND || limit > MAX_FIELDS) {
        Py_RETURN_NONE;
    }
    const Py_UCS1 *p = PyUnicode_1BYTE_DATA(block);
    Py_ssize_t n = PyUnicode_GET_LENGTH(block), i = 0;
    Py_ssize_t name_at[MAX_FIELDS], name_len[MAX_FIELDS], value_at[MAX_FIELDS],
        value_len[MAX_FIELDS];
    Py_ssize_t count = 0;
    while (i < n) {
        if (count >= limit) {
            Py_RETURN_NONE;
        }
        Py_ssize_t start = i;
        while (i < n && token_char(p[i])) {
            i++;
        }
        if (i == start || i >= n || p[i] != ':') {
            Py_RETURN_NONE;
        }
        name_at[count] = start;
        name_len[count] = i - start;
        i++;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) {
            i++;
        }
        Py_ssize_t value_start = i;
        while (i < n && p[i] != '\r' && p[i] != '\n') {
            i++;
        }
        if (i + 1 >= n || p[i] != '\r' || p[i + 1] != '\n') {
            Py_RETURN_NONE;
        }
        Py_ssize_t value_end = i;
        while (value_end > value_start && (p[value_end - 1] == ' ' || p[value_end - 1] == '\t')) {
            value_end--;
        }
        value_at[count] = value_start;
        value_len[count] = value_end - value_start;
        count++;
        i += 2;
    }
    PyObject *headers = PyObject_CallNoArgs(args[1]);
    if (headers == NULL) {
        return NULL;
    }
    if (!PyDict_Check(headers)) {
        Py_DECREF(headers);
        Py_RETURN_NONE;
    }
    for (Py_ssize_t k = count - 1; k >= 0; k--) {
        PyObject *name = PyUnicode_New(name_len[k], 127);
        if (name == NULL) {
            Py_DECREF(headers);
            return NULL;
        }
        Py_UCS1 *lower = PyUnicode_1BYTE_DATA(name);
        for (Py_ssize_t j = 0; j < name_len[k]; j++) {
            Py_UCS1 c = p[name_at[k] + j];
            lower[j] = (c >= 'A' && c <= 'Z') ? (Py_UCS1)(c + ('a' - 'A')) : c;
        }
        PyObject *value = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, p + value_at[k],
                                                    value_len[k]);
        if (value == NULL) {
            Py_DECREF(name);
            Py_DECREF(headers);
            return NULL;
        }
        int failed = PyDict_SetItem(headers, name, value);
        Py_DECREF(name);
        Py_DECREF(value);
        if (failed) {
            Py_DECREF(headers);
            return NULL;
        }
    }
    if (PyDict_GET_SIZE(headers) != count) { /* a repeated name: Python keeps the first */
        Py_DECREF(headers);
        Py_RETURN_NONE;
    }
    return headers;
}

static PyMethodDef methods[] = {
    {"head_fields", (PyCFunction)(void (*)(void))head_fields, METH_FASTCALL,
     "head_fields(block, headers_type, limit) -> headers | None: a request head's plain "
     "header lines as a dict of lower-case names."},
    {"answer", (PyCFunction)(void (*)(void))answer, METH_FASTCALL,
     "answer(value, ev_type, duration_type, leaf) -> bytes | None: an answer as JSON bytes."},
    {"read_columns", (PyCFunction)(void (*)(void))read_columns, METH_FASTCALL,
     "read_columns(ev_type, tss, durs, ids, didx, datas, head, middle, high, start, end, "
     "longest) -> (events, starts, durations) | None: a read of a bucket's copy in memory."},
    {"filter_keyvals", (PyCFunction)(void (*)(void))filter_keyvals, METH_FASTCALL,
     "filter_keyvals(events, ev_type, key, values, exclude) -> list | None."},
    {"flood_pass", (PyCFunction)(void (*)(void))flood_pass, METH_FASTCALL,
     "flood_pass(events, ev_type, pulse, ascending) -> list | False | None: flood's pass."},
    {"events", (PyCFunction)(void (*)(void))events, METH_FASTCALL,
     "events(events, ev_type, cache, encode) -> str | None: a list of events as JSON text."},
    {"intersect_lasting", (PyCFunction)(void (*)(void))intersect_lasting, METH_FASTCALL,
     "intersect_lasting(events, filters, ev_type) -> list | None: filter_period_intersect's "
     "sweep over lasting events sorted by start."},
    {"merge_by_data", (PyCFunction)(void (*)(void))merge_by_data, METH_FASTCALL,
     "merge_by_data(events, ev_type, miss) -> True | None: merge_events_by_keys's loop, "
     "one miss(event) per distinct data object."},
    {"relabel", (PyCFunction)(void (*)(void))relabel, METH_FASTCALL,
     "relabel(events, ev_type, miss) -> True | None: _label's loop, each event's data "
     "replaced by miss(data), computed once per data object."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_encode", "The agent's event-list encoder and intersection in C.", 0, methods, slots,
};

PyMODINIT_FUNC
PyInit__encode(void)
{
    return PyModuleDef_Init(&module);
}
