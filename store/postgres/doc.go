// Package postgres keeps the integration's stores in PostgreSQL so that
// several daemon replicas can share them: [DB.Mapping] is a mapping.Store and
// [DB.ServiceOrders] a serviceorder.Store. The schema is created by an
// idempotent migration when the database is opened; every write runs in one
// transaction, so a crash leaves either the old or the new state.
package postgres
