"""``field__any=[...]``: membership in a list sent as one array parameter on PostgreSQL (``= ANY(%s)``), so
matching 20,000 keys costs one parameter instead of 20,000 placeholders to build, send and plan. Other
databases get the plain ``IN (...)``; keep those lists within their parameter limits."""

from django.db.models import Field, Lookup


@Field.register_lookup
class Any(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:  # an empty array literal has no type PostgreSQL could infer
            return "1 = 0", list(lhs_params)
        return f"{lhs} = ANY(%s)", [*lhs_params, values]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
