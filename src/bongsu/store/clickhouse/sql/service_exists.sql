-- Whether the service ever reported anything (its instances are kept from every signal).
SELECT 1 FROM instances WHERE tenant = %(tenant)s AND service = %(service)s LIMIT 1
