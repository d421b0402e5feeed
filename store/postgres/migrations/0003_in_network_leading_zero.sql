-- killswitch_in_network refuses an IPv4 address with a field of a
-- leading zero (010.0.0.1), as Go's netip and so store/sqlite's function
-- do: PostgreSQL's inet read it as decimal (10.0.0.1) where other
-- parsers read it as octal (8.0.0.1), and a session from it was in a
-- network for one registry and outside it for the other.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION killswitch_in_network(ip text, prefix cidr)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    addr inet;
BEGIN
    IF ip IS NULL OR ip = '' OR strpos(ip, '/') > 0
        OR ip ~ '(^|[:.])0[0-9]+\.|\.0[0-9]+$' THEN
        RETURN false;
    END IF;
    BEGIN
        addr := ip::inet;
    EXCEPTION WHEN others THEN
        RETURN false;
    END;
    IF family(addr) = 6 AND addr <<= '::ffff:0.0.0.0/96'::cidr THEN
        addr := '0.0.0.0'::inet + (addr - '::ffff:0.0.0.0'::inet);
    END IF;
    RETURN family(addr) = family(prefix) AND addr <<= prefix;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION killswitch_in_network(ip text, prefix cidr)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    addr inet;
BEGIN
    IF ip IS NULL OR ip = '' OR strpos(ip, '/') > 0 THEN
        RETURN false;
    END IF;
    BEGIN
        addr := ip::inet;
    EXCEPTION WHEN others THEN
        RETURN false;
    END;
    IF family(addr) = 6 AND addr <<= '::ffff:0.0.0.0/96'::cidr THEN
        addr := '0.0.0.0'::inet + (addr - '::ffff:0.0.0.0'::inet);
    END IF;
    RETURN family(addr) = family(prefix) AND addr <<= prefix;
END;
$$;
-- +goose StatementEnd
