namespace CarRecommender.Core.Domain;

// Unknown is always the last member: what an imported file did not say and could not be inferred. The content encoder
// gives it no dimension (its block stays zero), so an unknown body is not passed off as some body.

/// <summary>Body style. The order is part of the content-vector layout (<see cref="Features.ContentEncoder"/>).</summary>
public enum BodyType { Sedan, Hatchback, Estate, Suv, Coupe, Convertible, Minivan, Pickup, Unknown }

/// <summary>Fuel or drive type. The order is part of the content-vector layout.</summary>
public enum FuelType { Petrol, Diesel, Hybrid, PluginHybrid, Electric, Lpg, Unknown }

public enum Transmission { Manual, Automatic, Unknown }

public enum SellerType { Private, Dealer, Unknown }

public enum ListingStatus { Active, Sold }

public enum UserRole { User, Admin }

/// <summary>What a user did with a listing; what each kind means lives in <see cref="Recommendation.EventCatalogue"/>. Stored by name.</summary>
public enum InteractionType { View, Save, Unsave, Contact, Dismiss, Share }

/// <summary>Price class of a make; feeds the content vector so a Dacia is not "similar" to a Porsche.</summary>
public enum MarketSegment { Budget, Mainstream, Premium, Luxury }
